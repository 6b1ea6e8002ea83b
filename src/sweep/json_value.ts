/**
 * A cell as a JSON value: `cox df --format json|jsonl`, `cox export` of
 * OBJECT and PICKLE cells, and the dashboard alike.
 *
 * @module
 */

import { isTensor, PyFloat } from "../pickle/values.ts";
import { pyStr } from "../python_str.ts";

/** Most containers one cell's JSON expands (shared references are written out each time). */
const MAX_JSON_NODES = 100_000;

/**
 * A value as JSON can hold it: NaN and infinities become null (as pandas'
 * `to_json`), a bigint a number when exact and a string otherwise, bytes and
 * other Python objects the text Python's `str()` gives. A container inside
 * itself becomes the text Python prints for it (`[...]`, `{...}`); a value
 * that would expand past 100,000 containers (a DAG of shared lists) is
 * written as its (bounded) `str()` text instead.
 */
export function jsonValue(value: unknown): unknown {
  const budget = { nodes: MAX_JSON_NODES };
  try {
    return toJson(value, new Set(), budget);
  } catch (error) {
    if (error === TOO_BIG) return pyStr(value);
    throw error;
  }
}

const TOO_BIG = Symbol("too big");

function toJson(
  value: unknown,
  active: Set<object>,
  budget: { nodes: number },
): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case "number":
      return Number.isFinite(value) ? value : null;
    case "bigint":
      return Number.isSafeInteger(Number(value))
        ? Number(value)
        : value.toString();
    case "string":
    case "boolean":
      return value;
  }
  if (value instanceof PyFloat) return toJson(value.value, active, budget);
  if (isTensor(value) && value.shape.length === 0) {
    // a numpy scalar: its number (complex and float16 as text)
    if (value.dtype === "float64" || value.dtype === "float32") {
      return toJson(value.data[0], active, budget);
    }
    return pyStr(value);
  }
  const v = value as object;
  const isDict = v instanceof Map || isPlainObject(v);
  if (!(Array.isArray(v) || v instanceof Set || isDict)) return pyStr(v);
  if (active.has(v)) {
    return isDict ? "{...}" : v instanceof Set ? "set(...)" : "[...]";
  }
  if (--budget.nodes < 0) throw TOO_BIG;
  active.add(v);
  try {
    if (Array.isArray(v)) return v.map((x) => toJson(x, active, budget));
    if (v instanceof Set) return [...v].map((x) => toJson(x, active, budget));
    const out: Record<string, unknown> = {};
    const entries = v instanceof Map ? [...v] : Object.entries(v);
    for (const [k, x] of entries) {
      out[typeof k === "string" ? k : pyStr(k)] = toJson(x, active, budget);
    }
    return out;
  } finally {
    active.delete(v);
  }
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === null || proto === Object.prototype;
}

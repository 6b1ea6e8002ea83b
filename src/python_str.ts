/**
 * Python's `str()` and `repr()` of the values a store holds, so that text
 * made from them (run names, regex filters) is what Python's cox makes.
 *
 * A JS number cannot say whether it was a Python `int` or `float`; pass the
 * column's kind (`"float"` or `"int"`) to choose between `3.0` and `3`.
 * Without one, an integral number is an `int`.
 *
 * @module
 */

import { floatRepr } from "./pickle/write.ts";
import {
  isTensor,
  NumpyDType,
  PyFloat,
  PyFrozenSet,
  PyGlobal,
  PyObject,
  PyTuple,
} from "./pickle/values.ts";

/**
 * Python's `str(value)`. `kind` is the column kind the value came from
 * (`"float"` renders an integral number as `3.0`); `null` is `None`.
 *
 * @example
 * ```ts
 * import { pyStr } from "./python_str.ts";
 * if (pyStr(3, "float") !== "3.0" || pyStr(3, "int") !== "3") throw new Error("example failed");
 * if (pyStr(1e-5) !== "1e-05" || pyStr(true) !== "True") throw new Error("example failed");
 * if (pyStr([1, "a"]) !== "[1, 'a']") throw new Error("example failed");
 * ```
 */
export function pyStr(value: unknown, kind?: string): string {
  if (typeof value === "string") return value;
  return pyRepr(value, kind);
}

/** Python's `repr(value)` (strings quoted as Python quotes them). */
export function pyRepr(value: unknown, kind?: string): string {
  if (value === null || value === undefined) return "None";
  switch (typeof value) {
    case "boolean":
      return value ? "True" : "False";
    case "bigint":
      return value.toString();
    case "number":
      if (kind === "float" || !Number.isInteger(value)) {
        return floatRepr(value);
      }
      return Object.is(value, -0) ? "0" : String(value);
    case "string":
      return reprString(value);
  }
  if (value instanceof PyFloat) return floatRepr(value.value);
  if (value instanceof PyTuple) {
    const items = value.map((v) => pyRepr(v));
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(", ")})`;
  }
  if (Array.isArray(value)) {
    return `[${value.map((v) => pyRepr(v)).join(", ")}]`;
  }
  if (value instanceof Uint8Array) return reprBytes(value);
  if (value instanceof Map) {
    return `{${
      [...value].map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(", ")
    }}`;
  }
  if (value instanceof Set) {
    const items = [...value].map((v) => pyRepr(v));
    const frozen = value instanceof PyFrozenSet;
    if (items.length === 0) return frozen ? "frozenset()" : "set()";
    return frozen
      ? `frozenset({${items.join(", ")}})`
      : `{${items.join(", ")}}`;
  }
  if (value instanceof PyGlobal) {
    return `<class '${value.module}.${value.name}'>`;
  }
  if (value instanceof NumpyDType) {
    return `dtype(${
      reprString(value.byteorder.replace(/[|=]/, "") + value.descr)
    })`;
  }
  if (value instanceof PyObject) {
    return `<${value.module}.${value.name} object>`;
  }
  if (isTensor(value)) {
    return `<array of ${value.dtype}, shape (${value.shape.join(", ")})>`;
  }
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto === null || proto === Object.prototype) {
      return `{${
        Object.entries(value as Record<string, unknown>)
          .map(([k, v]) => `${reprString(k)}: ${pyRepr(v)}`).join(", ")
      }}`;
    }
  }
  return String(value);
}

/** `repr()` of a Python str: single quotes unless the text has `'` and no `"`. */
export function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (cp < 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp === 0xad) {
      out += "\\x" + cp.toString(16).padStart(2, "0");
    } else if (cp >= 0xd800 && cp <= 0xdfff) {
      out += "\\u" + cp.toString(16).padStart(4, "0");
    } else out += ch;
  }
  return out + quote;
}

function reprBytes(b: Uint8Array): string {
  let hasSingle = false;
  let hasDouble = false;
  for (const x of b) {
    if (x === 0x27) hasSingle = true;
    if (x === 0x22) hasDouble = true;
  }
  const quote = hasSingle && !hasDouble ? '"' : "'";
  let out = "b" + quote;
  for (const x of b) {
    const ch = String.fromCharCode(x);
    if (ch === quote || ch === "\\") out += "\\" + ch;
    else if (x === 0x0a) out += "\\n";
    else if (x === 0x0d) out += "\\r";
    else if (x === 0x09) out += "\\t";
    else if (x < 0x20 || x >= 0x7f) {
      out += "\\x" + x.toString(16).padStart(2, "0");
    } else out += ch;
  }
  return out + quote;
}

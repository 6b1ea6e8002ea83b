/** Converts decoded values to the JSON shape of fixtures/cox-0.2/expected/types.objects.json. */
import { isTensor, PyGlobal, PyObject } from "../../src/pickle/mod.ts";
import type { Tensor } from "../../src/tensor.ts";
import { halfToNumber } from "../../src/pickle/mod.ts";

function nested(t: Tensor): unknown {
  const flat: unknown[] = [];
  for (let i = 0; i < t.data.length; i++) {
    const x = t.data[i];
    if (typeof x === "bigint") flat.push(Number(x));
    else if (t.dtype === "bool") flat.push(x !== 0);
    else if (t.dtype === "float16") flat.push(halfToNumber(x as number));
    else flat.push(x);
  }
  let level: unknown[] = flat;
  for (let d = t.shape.length - 1; d >= 1; d--) {
    const next: unknown[] = [];
    for (let i = 0; i < level.length; i += t.shape[d]) {
      next.push(level.slice(i, i + t.shape[d]));
    }
    level = next;
  }
  return t.shape.length === 0 ? flat[0] : level;
}

export function toJson(v: unknown): unknown {
  if (v === null || typeof v !== "object") {
    return typeof v === "bigint" ? v.toString() : v;
  }
  if (isTensor(v)) {
    return { ndarray: nested(v), dtype: v.dtype, shape: v.shape };
  }
  if (Array.isArray(v)) return Array.from(v, toJson);
  if (v instanceof Map) {
    return Object.fromEntries([...v].map(([k, x]) => [String(k), toJson(x)]));
  }
  if (v instanceof Set) return [...v].map(toJson);
  if (v instanceof PyGlobal) return { global: v.toString() };
  if (v instanceof PyObject) {
    return { object: `${v.module}.${v.name}`, args: toJson(v.args) };
  }
  if (v instanceof Uint8Array) return { bytes: [...v] };
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = toJson(x);
  return out;
}

/**
 * Reading a Tensor's elements as JavaScript numbers.
 *
 * @module
 */

import type { Tensor } from "../tensor.ts";

function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The elements of a real-valued tensor as numbers (float16/bfloat16 decoded, 64-bit integers converted). */
export function tensorNumbers(t: Tensor): ArrayLike<number> {
  switch (t.dtype) {
    case "float16":
      return Array.from(t.data as Uint16Array, halfToNumber);
    case "bfloat16":
      return Array.from(t.data as Uint16Array, (b) => {
        u32[0] = b << 16;
        return f32[0];
      });
    case "int64":
    case "uint64":
      return Array.from(t.data as BigInt64Array | BigUint64Array, Number);
    case "complex64":
    case "complex128":
      throw new TypeError(
        `Cannot use a ${t.dtype} tensor here: complex values are not supported`,
      );
    default:
      return t.data as ArrayLike<number>;
  }
}

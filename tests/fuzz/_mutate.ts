// Seeded byte mutations shared by the fuzz tests.
export { rng } from "../pickle/rng.ts";

/** A PRNG for case `index` of a run with `seed`, so one case reproduces alone. */
export function caseSeed(seed: number, index: number): number {
  return (Math.imul(seed, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) | 0;
}

/** An integer in [0, n). */
export function below(r: () => number, n: number): number {
  return Math.floor(r() * n);
}

/** Offsets of the non-zero bytes (where HDF5 metadata and data live). */
export function hotOffsets(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) out.push(i);
  return out.length > 0 ? out : [0];
}

/** Offsets of each occurrence of an ASCII signature. */
export function signatures(bytes: Uint8Array, names: string[]): number[] {
  const out: number[] = [];
  for (const name of names) {
    const sig = [...name].map((c) => c.charCodeAt(0));
    for (let i = 0; i + sig.length <= bytes.length; i++) {
      if (sig.every((b, k) => bytes[i + k] === b)) out.push(i);
    }
  }
  return out;
}

/** Flips `n` random bits at the given offsets. */
export function flipBits(
  b: Uint8Array,
  r: () => number,
  at: () => number,
  n: number,
): void {
  for (let k = 0; k < n; k++) {
    const i = at();
    if (i < b.length) b[i] ^= 1 << below(r, 8);
  }
}

/** Writes a little-endian 64-bit value at `i` (clipped at the end). */
export function putU64(b: Uint8Array, i: number, value: bigint): void {
  for (let k = 0; k < 8 && i + k < b.length; k++) {
    b[i + k] = Number((value >> BigInt(8 * k)) & 0xffn);
  }
}

/** Absurd sizes a header field might claim. */
export const HUGE = [
  2n ** 40n,
  2n ** 63n - 1n,
  2n ** 64n - 1n,
  2n ** 32n - 1n,
  2n ** 31n,
  0x7fffffffn,
];

/** Uniform random bytes. */
export function randomBytes(r: () => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => below(r, 256));
}

/**
 * Pickle codec: a reader for protocols 0 to 5 that never runs code, a writer
 * whose output Python's `pickle.loads` reads back equal, and cox's cell
 * encodings.
 *
 * @example
 * ```ts
 * import { pickle, unpickle } from "./mod.ts";
 * const bytes = pickle({ a: [1, 2.5, "x"] }, { protocol: 0 });
 * const back = unpickle(bytes) as Record<string, unknown>;
 * if (!(JSON.stringify(back.a) === '[1,2.5,"x"]')) throw new Error("example failed");
 * ```
 *
 * @module
 */

export * from "./values.ts";
export { halfToNumber, PickleError, settle, unpickle } from "./read.ts";
export type { UnpickleOptions } from "./read.ts";
export { floatRepr, pickle } from "./write.ts";
export type { PickleOptions } from "./write.ts";
export {
  base64Lines,
  decodeObjectCell,
  decodePickleFile,
  encodeObjectCell,
  encodePickleFile,
  fromBase64Lines,
} from "./cells.ts";

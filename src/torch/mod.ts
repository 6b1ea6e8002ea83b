/**
 * `torch.save` archives (zip format) to and from values: tensors as
 * `Tensor`s, state dicts as plain objects. Pure: bytes in, bytes out.
 *
 * @example
 * ```ts
 * import { readStateDict, writeStateDict } from "./mod.ts";
 * const bytes = writeStateDict({
 *   layer: { bias: { dtype: "int64", shape: [2], data: new BigInt64Array([1n, -2n]) } },
 * });
 * const back = readStateDict(bytes) as unknown as { layer: { bias: { data: BigInt64Array } } };
 * if (back.layer.bias.data[1] !== -2n) throw new Error("example failed");
 * ```
 *
 * @module
 */

export {
  readArchive,
  readStateDict,
  readTorch,
  type ReadTorchOptions,
  type StateDict,
  STORAGE_DTYPES,
  TorchError,
  TorchStorage,
} from "./read.ts";
export { writeStateDict, writeTorch, type WriteTorchOptions } from "./write.ts";
export { readLegacyTorch, torchPickleReducers } from "./legacy.ts";

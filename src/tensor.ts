/**
 * The one array value that crosses module boundaries: numpy arrays from
 * pickles, torch tensors from state dicts, images for TensorBoard.
 *
 * @module
 */

/** Element types, named as numpy names them. */
export type DType =
  | "bool"
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "uint8"
  | "uint16"
  | "uint32"
  | "uint64"
  | "float16"
  | "bfloat16"
  | "float32"
  | "float64"
  | "complex64"
  | "complex128";

/** The typed array that holds each dtype's elements (raw bits for float16/bfloat16). */
export interface TypedArrayFor {
  bool: Uint8Array;
  int8: Int8Array;
  int16: Int16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
  uint16: Uint16Array;
  uint32: Uint32Array;
  uint64: BigUint64Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  float32: Float32Array;
  float64: Float64Array;
  /** Interleaved real and imaginary parts. */
  complex64: Float32Array;
  /** Interleaved real and imaginary parts. */
  complex128: Float64Array;
}

/** A dense, row-major (C order) n-dimensional array. */
export interface Tensor<D extends DType = DType> {
  dtype: D;
  shape: number[];
  data: TypedArrayFor[D];
}

/** Number of elements a shape holds (1 for a scalar's empty shape). */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

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
  /** One byte per element, 0 or 1. */
  bool: Uint8Array;
  /** Signed 8-bit elements. */
  int8: Int8Array;
  /** Signed 16-bit elements. */
  int16: Int16Array;
  /** Signed 32-bit elements. */
  int32: Int32Array;
  /** Signed 64-bit elements. */
  int64: BigInt64Array;
  /** Unsigned 8-bit elements. */
  uint8: Uint8Array;
  /** Unsigned 16-bit elements. */
  uint16: Uint16Array;
  /** Unsigned 32-bit elements. */
  uint32: Uint32Array;
  /** Unsigned 64-bit elements. */
  uint64: BigUint64Array;
  /** IEEE half-precision elements, as their raw 16 bits. */
  float16: Uint16Array;
  /** bfloat16 elements, as their raw 16 bits. */
  bfloat16: Uint16Array;
  /** Single-precision elements. */
  float32: Float32Array;
  /** Double-precision elements. */
  float64: Float64Array;
  /** Interleaved real and imaginary parts. */
  complex64: Float32Array;
  /** Interleaved real and imaginary parts. */
  complex128: Float64Array;
}

/** A dense, row-major (C order) n-dimensional array. */
export interface Tensor<D extends DType = DType> {
  /** The element type. */
  dtype: D;
  /** The size of each dimension (empty for a scalar). */
  shape: number[];
  /** The elements, row-major. */
  data: TypedArrayFor[D];
}

/** Number of elements a shape holds (1 for a scalar's empty shape). */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

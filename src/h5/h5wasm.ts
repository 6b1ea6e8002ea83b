/**
 * h5wasm, loaded once and only when needed (writing, or a file the fast
 * reader does not handle: its start-up costs hundreds of milliseconds), with HDF5's errors turned into exceptions (instead of
 * diagnostics printed to stderr) and the raw-byte hyperslab calls that let
 * rows go in and out in the dataset's own on-disk layout.
 *
 * @module
 */

import type h5wasmModule from "npm:h5wasm@0.10.3/node";

/** The h5wasm high-level API (File, Group, Dataset). */
export type H5 = typeof h5wasmModule;
/** An open HDF5 file. */
export type H5File = InstanceType<H5["File"]>;
/** A group inside a file. */
export type H5Group = InstanceType<H5["Group"]>;
/** A dataset inside a file. */
export type H5Dataset = InstanceType<H5["Dataset"]>;

/** The parts of the emscripten module we call directly. */
interface RawModule {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  get_dataset_data(
    fileId: bigint,
    path: string,
    count: bigint[] | null,
    offset: bigint[] | null,
    strides: bigint[] | null,
    ptr: bigint,
  ): number;
  set_dataset_data(
    fileId: bigint,
    path: string,
    count: bigint[] | null,
    offset: bigint[] | null,
    strides: bigint[] | null,
    ptr: bigint,
  ): number;
  activate_throwing_error_handler(): number;
  get_attribute_names(fileId: bigint, path: string): string[];
  get_attribute_metadata(
    fileId: bigint,
    path: string,
    name: string,
  ): AttributeMetadata;
  get_attribute_data(
    fileId: bigint,
    path: string,
    name: string,
    ptr: bigint,
  ): number;
  create_attribute(
    fileId: bigint,
    path: string,
    name: string,
    ptr: bigint,
    metadata: Record<string, unknown>,
  ): number;
  delete_attribute(fileId: bigint, path: string, name: string): number;
}

/** What HDF5 says of an attribute's type and shape (h5wasm's metadata). */
export interface AttributeMetadata {
  /** HDF5 type class: 0 integer, 1 float, 3 string, 4 bitfield, 6 compound, 10 array. */
  type: number;
  size: number;
  signed: boolean;
  littleEndian: boolean;
  vlen: boolean;
  cset?: number;
  shape: number[] | null;
  total_size: number;
}

let loaded: Promise<RawModule> | null = null;
let raw: RawModule | null = null;

/** Loads h5wasm (once); every other function here needs it loaded first. */
export function loadH5(): Promise<void> {
  loaded ??= import("npm:h5wasm@0.10.3/node").then(async ({ default: api }) => {
    const m = await api.ready as unknown as RawModule;
    m.activate_throwing_error_handler();
    H5Api = api;
    raw = m;
    return m;
  });
  return loaded.then(() => undefined);
}

/** Whether h5wasm is loaded and ready (so that it can be used synchronously). */
export function h5Loaded(): boolean {
  return raw !== null;
}

function module(): RawModule {
  if (raw === null) {
    throw new Error("Cannot use HDF5 before loadH5() has resolved");
  }
  return raw;
}

/** The high-level API; set once `loadH5()` has resolved. */
export let H5Api: H5 = undefined as unknown as H5;

/** The most raw bytes read from a dataset at once (wasm memory stops at 2 GiB). */
export const MAX_READ_BYTES = 1 << 30;

/** Reads `count` rows from `start` of a 1-D dataset as raw bytes. */
export function readRows(
  file: H5File,
  path: string,
  start: number,
  count: number,
  rowSize: number,
): Uint8Array {
  const n = count * rowSize;
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_READ_BYTES) {
    throw new RangeError(
      `Cannot read ${count} rows of ${rowSize} bytes from ${path} in ${file.filename}: ` +
        `more than the ${MAX_READ_BYTES} bytes read at once`,
    );
  }
  const out = new Uint8Array(n);
  if (count === 0) return out;
  const m = module();
  const ptr = m._malloc(out.length);
  if (ptr === 0) {
    throw new RangeError(
      `Cannot read ${count} rows of ${path} in ${file.filename}: out of wasm memory`,
    );
  }
  try {
    m.get_dataset_data(file.file_id, path, [BigInt(count)], [BigInt(start)], [
      1n,
    ], BigInt(ptr));
    out.set(m.HEAPU8.subarray(ptr, ptr + out.length));
  } finally {
    m._free(ptr);
  }
  return out;
}

/** Writes raw rows at `start` of a 1-D dataset (which must be large enough). */
export function writeRows(
  file: H5File,
  path: string,
  start: number,
  bytes: Uint8Array,
  rowSize: number,
): void {
  const count = bytes.length / rowSize;
  if (count === 0) return;
  const m = module();
  const ptr = m._malloc(bytes.length);
  if (ptr === 0) {
    throw new RangeError(
      `Cannot write ${count} rows to ${path}: out of wasm memory`,
    );
  }
  try {
    m.HEAPU8.set(bytes, ptr);
    m.set_dataset_data(file.file_id, path, [BigInt(count)], [BigInt(start)], [
      1n,
    ], BigInt(ptr));
  } finally {
    m._free(ptr);
  }
}

/** Names of the attributes on the object at `path`. */
export function attributeNames(file: H5File, path: string): string[] {
  return module().get_attribute_names(file.file_id, path);
}

/** An attribute's metadata and raw bytes (null for a vlen or null-dataspace attribute). */
export function readRawAttribute(
  file: H5File,
  path: string,
  name: string,
): { metadata: AttributeMetadata; bytes: Uint8Array | null } {
  const m = module();
  const metadata = m.get_attribute_metadata(file.file_id, path, name);
  if (!metadata.shape || metadata.vlen) return { metadata, bytes: null };
  const n = metadata.size * metadata.total_size;
  if (n > 64 * 1024 * 1024) {
    throw new RangeError(
      `Cannot read attribute ${name} of ${path}: ${n} bytes is too large`,
    );
  }
  const ptr = m._malloc(Math.max(1, n));
  try {
    m.get_attribute_data(file.file_id, path, name, BigInt(ptr));
    return { metadata, bytes: m.HEAPU8.slice(ptr, ptr + n) };
  } finally {
    m._free(ptr);
  }
}

/** How an attribute's bytes are typed on disk. */
export type AttributeType =
  | { kind: "string"; cset: "ascii" | "utf8"; size: number }
  | { kind: "int64" };

/** Creates a scalar attribute from raw bytes (deleting the old one when `replace`). */
export function writeRawAttribute(
  file: H5File,
  path: string,
  name: string,
  replace: boolean,
  type: AttributeType,
  bytes: Uint8Array,
): void {
  const m = module();
  if (replace) m.delete_attribute(file.file_id, path, name);
  const metadata = type.kind === "string"
    ? {
      type: 3,
      size: type.size,
      cset: type.cset === "ascii" ? 0 : 1,
      vlen: false,
      signed: false,
      littleEndian: true,
      shape: [],
      maxshape: [],
    }
    : {
      type: 0,
      size: 8,
      signed: true,
      vlen: false,
      littleEndian: true,
      shape: [],
      maxshape: [],
    };
  const ptr = m._malloc(Math.max(1, bytes.length));
  try {
    m.HEAPU8.set(bytes, ptr);
    m.create_attribute(file.file_id, path, name, BigInt(ptr), metadata);
  } finally {
    m._free(ptr);
  }
}

let trapped: string | null = null;

/**
 * Records a wasm trap (a RuntimeError: an abort, an out-of-bounds access, an
 * unreachable) raised while HDF5 worked on `path`. HDF5's C code shares one
 * wasm memory with every file; a trap means it went astray, possibly after
 * writing where it should not, so nothing more is trusted to it.
 */
export function noteTrap(path: string, error: unknown): void {
  if (trapped !== null) return;
  for (let e = error, depth = 0; e && depth < 8; depth++) {
    if (e instanceof WebAssembly.RuntimeError) {
      trapped = `${e.message.split("\n")[0]}, reading ${path}`;
      return;
    }
    e = (e as Error).cause;
  }
}

/** Why HDF5 is no longer used in this process, or null while it is sound. */
export function trapReason(): string | null {
  return trapped;
}

/** Shortens HDF5's multi-line diagnostic to its most specific line. */
export function hdf5Reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split("\n").map((l) => l.trim()).filter((l) =>
    /^#\d+:/.test(l)
  );
  const last = lines.at(-1);
  if (!last) return text.split("\n")[0];
  const m = last.match(/in (\w+\(\)): (.*)$/);
  return m ? m[2] : last;
}

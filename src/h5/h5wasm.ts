/**
 * h5wasm, loaded once and only when needed (writing, or a file the fast
 * reader does not handle: its start-up costs hundreds of milliseconds), with HDF5's errors turned into exceptions (instead of
 * diagnostics printed to stderr) and the raw-byte hyperslab calls that let
 * rows go in and out in the dataset's own on-disk layout.
 *
 * @module
 */

import type h5wasmModule from "npm:h5wasm@0.10.3/node";
import { installFileRoutes } from "./file_routes.ts";

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
  reclaim_vlen_memory(
    fileId: bigint,
    path: string,
    attribute: string,
    ptr: bigint,
  ): number;
  create_dataset(
    fileId: bigint,
    path: string,
    ptr: bigint,
    metadata: Record<string, unknown>,
  ): number;
  create_object_reference(fileId: bigint, path: string): ArrayLike<number>;
  create_group(fileId: bigint, path: string, trackOrder: boolean): number;
  get_dataset_metadata(fileId: bigint, path: string): DatasetMetadata;
  get_dataset_filters(
    fileId: bigint,
    path: string,
  ): { id: number; cd_values: number[] }[];
  create_vlen_str_attribute(
    fileId: bigint,
    path: string,
    name: string,
    data: string[],
    metadata: Record<string, unknown>,
  ): number;
  open(
    path: string,
    mode: number,
    trackOrder: boolean,
    libverLow: number,
    libverHigh: number,
  ): bigint;
  H5F_ACC_RDWR: number;
  get_plugin_search_paths(): string[];
  insert_plugin_search_path(path: string, index: number): number;
  remove_plugin_search_path(index: number): number;
  FS: EmscriptenFs & Parameters<typeof installFileRoutes>[0];
}

/** The parts of Emscripten's file system (real files, NODERAWFS) we use. */
interface EmscriptenFs {
  open(path: string, flags: string): unknown;
  read(
    stream: unknown,
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): number;
  write(
    stream: unknown,
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): number;
  close(stream: unknown): void;
}

/** What HDF5 says of a dataset's type and shape (h5wasm's metadata). */
interface DatasetMetadata extends AttributeMetadata {
  maxshape: number[] | null;
  chunks: number[] | null;
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

/**
 * Loads h5wasm (once); every other function here needs it loaded first.
 * `plugins` is the folder of HDF5's filter plugins when the caller found it
 * (see `pluginFolder`); by default it is looked up here.
 */
export function loadH5(plugins?: string | null): Promise<void> {
  loaded ??= import("npm:h5wasm@0.10.3/node").then(async ({ default: api }) => {
    const m = await api.ready as unknown as RawModule;
    m.activate_throwing_error_handler();
    usePlugins(m, plugins === undefined ? await pluginFolder() : plugins);
    installFileRoutes(m.FS);
    H5Api = api;
    raw = m;
    return m;
  });
  return loaded.then(() => undefined);
}

/**
 * Makes HDF5 look for filter plugins (blosc, bzip2, lz4, zstd, ...) only in
 * npm:h5wasm-plugins' own folder, read in place: h5wasm's node build maps
 * Emscripten's file system onto the real one (NODERAWFS), so the plugins
 * are never copied anywhere, and HDF5's default plugin folders (a build
 * path and /usr/local/hdf5/lib/plugin) are dropped, so that a file naming an
 * unknown filter makes HDF5 open nothing else. HDF5 loads a plugin only when
 * a dataset needs its filter.
 */
function usePlugins(m: RawModule, folder: string | null): void {
  while (m.get_plugin_search_paths().length > 0) {
    m.remove_plugin_search_path(0);
  }
  if (folder !== null) m.insert_plugin_search_path(folder, 0);
}

/**
 * The folder of npm:h5wasm-plugins' plugins, or null when the package is not
 * installable here (then HDF5 has its own filters only, and the others are
 * errors naming them). Looked up on the main thread: in a Worker, Deno may
 * resolve this package (which names an older h5wasm as its peer) to a copy
 * it never installed.
 */
export async function pluginFolder(): Promise<string | null> {
  try {
    const { base_url } = await import(
      "npm:h5wasm-plugins@0.2.1/index.mjs"
    ) as { base_url: string };
    if (base_url.startsWith("file:")) {
      // node:url's fileURLToPath, fetched only here: a static `node:` import
      // starts Node compatibility in every process (see path.ts)
      const { fileURLToPath } = (globalThis as unknown as {
        process: {
          getBuiltinModule(name: "node:url"): {
            fileURLToPath(url: string): string;
          };
        };
      }).process.getBuiltinModule("node:url");
      return fileURLToPath(`${base_url}/plugins`);
    }
  } catch {
    // not installable here
  }
  return null;
}

/** HDF5's id of the blosc filter. */
const H5Z_BLOSC = 32001;
/** blosc's code for its zlib codec (the 7th of the filter's values). */
const BLOSC_ZLIB = 4;

/**
 * Refuses, before HDF5 reads it, a dataset whose filter h5wasm-plugins
 * cannot run: blosc with its zlib codec aborts wasm (the plugin needs zlib
 * symbols h5wasm does not export).
 */
function checkDecodable(m: RawModule, file: H5File, path: string): void {
  const blosc = m.get_dataset_filters(file.file_id, path).find((f) =>
    f.id === H5Z_BLOSC
  );
  if (blosc !== undefined && blosc.cd_values[6] === BLOSC_ZLIB) {
    throw new Error(
      `Cannot read ${path} in ${file.filename}: its blosc filter (HDF5 filter ${H5Z_BLOSC}) uses the zlib codec, which h5wasm-plugins cannot decode`,
    );
  }
}

/** The bytes of wasm memory HDF5 holds (wasm memory never shrinks); 0 before loading. */
export function h5HeapBytes(): number {
  return raw?.HEAPU8.length ?? 0;
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
  checkDecodable(m, file, path);
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

/** Bytes of the wasm buffer rows are written through (reused, so a big write needs no big allocation). */
export const WRITE_SLICE_BYTES = 1 << 20;

let writeBuffer = 0;

/** The reused write buffer's address, allocated at first use. */
function writeBufferOf(m: RawModule): number {
  if (writeBuffer === 0) writeBuffer = m._malloc(WRITE_SLICE_BYTES);
  return writeBuffer;
}

/**
 * Writes `count` rows at `start` of a 1-D dataset (which must be large
 * enough), packed by `fill` straight into wasm memory: `fill(out, from)`
 * gets the zeroed bytes of rows `[from, from + out.length / rowSize)` (a
 * view of wasm memory, valid during the call only, which must not call
 * into HDF5; not zeroed when `zeroed` is false, for a `fill` that sets
 * every byte). The slices go through one reused buffer of WRITE_SLICE_BYTES
 * (a row wider than that gets a buffer of its own), so rows are copied
 * once, into the buffer HDF5 writes from, and memory does not grow with
 * `count`.
 */
export function fillRows(
  file: H5File,
  path: string,
  start: number,
  count: number,
  rowSize: number,
  fill: (out: Uint8Array, from: number) => void,
  zeroed = true,
): void {
  if (count === 0) return;
  const m = module();
  const perSlice = Math.floor(WRITE_SLICE_BYTES / rowSize);
  const own = perSlice === 0;
  const ptr = own ? m._malloc(rowSize) : writeBufferOf(m);
  if (ptr === 0) {
    throw new RangeError(
      `Cannot write ${count} rows to ${path}: out of wasm memory`,
    );
  }
  const step = Math.max(1, perSlice);
  try {
    for (let done = 0; done < count; done += step) {
      const n = Math.min(step, count - done);
      // HEAPU8 is re-read each time: HDF5 may grow wasm memory, detaching the old view
      const out = m.HEAPU8.subarray(ptr, ptr + n * rowSize);
      if (zeroed) out.fill(0);
      fill(out, done);
      m.set_dataset_data(
        file.file_id,
        path,
        [BigInt(n)],
        [BigInt(start + done)],
        [1n],
        BigInt(ptr),
      );
    }
  } finally {
    if (own) m._free(ptr);
  }
}

/**
 * Creates a dataset from h5wasm metadata (type, shape, maxshape, chunks,
 * compression) with no rows.
 */
export function createEmptyDataset(
  file: H5File,
  path: string,
  metadata: Record<string, unknown>,
): void {
  const m = module();
  const ptr = m._malloc(8);
  try {
    m.create_dataset(file.file_id, path, BigInt(ptr), metadata);
  } finally {
    m._free(ptr);
  }
}

/** The file address of the object header of the object at `path`. */
export function objectAddress(file: H5File, path: string): number {
  const ref = module().create_object_reference(file.file_id, path);
  let address = 0;
  for (let i = 7; i >= 0; i--) address = address * 256 + (ref[i] ?? 0);
  if (!Number.isSafeInteger(address) || address === 0) {
    throw new Error(`Cannot locate ${path} in ${file.filename}`);
  }
  return address;
}

/** Opens an existing file read-write and returns HDF5's id for it. */
export function openFileId(path: string): bigint {
  const m = module();
  return m.open(path, m.H5F_ACC_RDWR, false, -1, -1);
}

/** `length` bytes of the (closed) file at `path` from `position`. */
export function readFileBytes(
  path: string,
  position: number,
  length: number,
): Uint8Array {
  const fs = module().FS;
  const out = new Uint8Array(length);
  const stream = fs.open(path, "r");
  try {
    let got = 0;
    while (got < length) {
      const n = fs.read(stream, out, got, length - got, position + got);
      if (n <= 0) {
        throw new RangeError(`${path} ends before byte ${position + length}`);
      }
      got += n;
    }
  } finally {
    fs.close(stream);
  }
  return out;
}

/**
 * Overwrites bytes of the (closed) file at `path`, through the same file
 * system layer as HDF5's own writes.
 */
export function patchFile(
  path: string,
  position: number,
  bytes: Uint8Array,
): void {
  const fs = module().FS;
  const stream = fs.open(path, "r+");
  try {
    let put = 0;
    while (put < bytes.length) {
      put += fs.write(stream, bytes, put, bytes.length - put, position + put);
    }
  } finally {
    fs.close(stream);
  }
}

/** Creates a group with no attributes (its parent must exist). */
export function createEmptyGroup(file: H5File, path: string): void {
  module().create_group(file.file_id, path, false);
}

/** A dataset's element size, bytes in all, and whether its data is variable-length. */
export function datasetInfo(
  file: H5File,
  path: string,
): { elementSize: number; bytes: number; vlen: boolean } {
  const m = module().get_dataset_metadata(file.file_id, path);
  return {
    elementSize: m.size,
    bytes: m.size * m.total_size,
    vlen: holdsVlen(m),
  };
}

/** Type metadata as h5wasm nests it (compound members, array and vlen bases). */
interface NestedType {
  type: number;
  vlen: boolean;
  compound_type?: { members: NestedType[] };
  array_type?: NestedType;
  vlen_type?: NestedType;
}

/** Whether a type holds variable-length data anywhere (a compound's member, an array's base). */
function holdsVlen(t: NestedType): boolean {
  const H5T_VLEN = 9;
  if (t.vlen || t.type === H5T_VLEN) return true;
  if (t.compound_type?.members.some(holdsVlen)) return true;
  return t.array_type !== undefined && holdsVlen(t.array_type);
}

/** HDF5's "no limit" for a dataspace dimension. */
const H5S_UNLIMITED = 2n ** 64n - 1n;

/**
 * Copies a dataset's raw bytes, shape, chunks and deflate filter from `src`
 * into a new dataset of `out` typed `standIn` (of the same element size);
 * the real datatype is patched in afterwards (`patchRawDatatype`).
 */
export function copyDatasetRaw(
  src: H5File,
  out: H5File,
  path: string,
  standIn: Record<string, unknown>,
  zeros?: { elementSize: number },
): void {
  const m = module();
  const meta = m.get_dataset_metadata(src.file_id, path);
  const filters = m.get_dataset_filters(src.file_id, path);
  const H5Z_DEFLATE = 1;
  const H5Z_SHUFFLE = 2;
  const other = filters.find((f) =>
    f.id !== H5Z_DEFLATE && f.id !== H5Z_SHUFFLE
  );
  if (other !== undefined) {
    throw new Error(
      `Cannot copy ${path} of ${src.filename}: it uses HDF5 filter ${other.id}`,
    );
  }
  const deflate = filters.find((f) => f.id === H5Z_DEFLATE);
  const bytes = (zeros?.elementSize ?? meta.size) * meta.total_size;
  const ptr = m._malloc(Math.max(8, bytes));
  if (ptr === 0) {
    throw new RangeError(
      `Cannot copy ${path} of ${src.filename}: out of wasm memory`,
    );
  }
  try {
    if (zeros !== undefined) m.HEAPU8.fill(0, ptr, ptr + bytes);
    else if (bytes > 0) {
      m.get_dataset_data(src.file_id, path, null, null, null, BigInt(ptr));
    }
    const dim = (d: number) => d >= 2 ** 63 ? H5S_UNLIMITED : BigInt(d);
    m.create_dataset(out.file_id, path, BigInt(ptr), {
      ...standIn,
      shape: (meta.shape ?? []).map(BigInt),
      maxshape: meta.maxshape === null ? null : meta.maxshape.map(dim),
      chunks: meta.chunks === null ? null : meta.chunks.map(BigInt),
      compression: deflate ? 1 : 0,
      compression_opts: deflate ? [deflate.cd_values[0] ?? 4] : [],
      track_order: false,
    });
  } finally {
    m._free(ptr);
  }
}

/**
 * Copies the values of a variable-length dataset of `src` into the dataset
 * of the same path and datatype in `out` (made by `copyDatasetRaw` with
 * zeros, its type patched in): HDF5 reads them into wasm memory (lengths
 * and pointers) and writes them into `out`'s own global heap.
 */
export function copyVlenData(src: H5File, out: H5File, path: string): void {
  const m = module();
  const meta = m.get_dataset_metadata(src.file_id, path);
  if (meta.total_size === 0) return;
  const bytes = meta.size * meta.total_size;
  const ptr = m._malloc(bytes);
  if (ptr === 0) {
    throw new RangeError(
      `Cannot copy ${path} of ${src.filename}: out of wasm memory`,
    );
  }
  try {
    m.get_dataset_data(src.file_id, path, null, null, null, BigInt(ptr));
    try {
      m.set_dataset_data(out.file_id, path, null, null, null, BigInt(ptr));
    } finally {
      m.reclaim_vlen_memory(src.file_id, path, "", BigInt(ptr));
    }
  } finally {
    m._free(ptr);
  }
}

/**
 * Copies one attribute (same type, shape and bytes) from `src` to `out`.
 * A bitfield is written as an unsigned integer of its size and reported
 * (returns "bitfield"), to be given its type back by `patchRawDatatype`.
 */
export function copyAttribute(
  src: H5File,
  out: H5File,
  path: string,
  name: string,
): "bitfield" | undefined {
  const m = module();
  let meta = m.get_attribute_metadata(src.file_id, path, name);
  const H5T_BITFIELD = 4;
  const bitfield = meta.type === H5T_BITFIELD;
  if (bitfield) meta = { ...meta, type: 0, signed: false };
  if (meta.vlen && meta.type === 3) {
    const value = (src.get(path) as unknown as {
      attrs: Record<string, { value: unknown }>;
    }).attrs[name].value;
    const data = Array.isArray(value) ? value.map(String) : [String(value)];
    m.create_vlen_str_attribute(out.file_id, path, name, data, {
      ...meta,
      shape: meta.shape ?? [],
    });
    return;
  }
  if (![0, 1, 3].includes(meta.type) || meta.vlen) {
    throw new Error(`its HDF5 type (class ${meta.type}) cannot be copied`);
  }
  if (meta.shape === null) {
    // an empty (null-dataspace) string, as PyTables writes an empty TITLE
    writeRawAttribute(out, path, name, false, {
      kind: "string",
      cset: meta.cset === 0 ? "ascii" : "utf8",
      size: 1,
    }, new Uint8Array(1));
    return;
  }
  const { bytes } = readRawAttribute(src, path, name);
  const ptr = m._malloc(Math.max(1, bytes?.length ?? 1));
  try {
    if (bytes) m.HEAPU8.set(bytes, ptr);
    m.create_attribute(out.file_id, path, name, BigInt(ptr), {
      ...meta,
      littleEndian: true,
    });
  } finally {
    m._free(ptr);
  }
  return bitfield ? "bitfield" : undefined;
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
  | { kind: "int64" }
  | { kind: "int32" };

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
      size: type.kind === "int32" ? 4 : 8,
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

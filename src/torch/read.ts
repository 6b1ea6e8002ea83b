/**
 * Reading `torch.save` archives (the zip format of torch 1.6 and later)
 * without running code: `data.pkl` is decoded by the safe pickle reader,
 * storages come from `data/<key>`, and tensors are rebuilt from
 * `torch._utils._rebuild_tensor_v2` calls (non-contiguous strides gathered).
 *
 * @module
 */

import { unpickle } from "../pickle/read.ts";
import {
  ITEM_SIZE,
  type PyDict,
  PyGlobal,
  PyTuple,
  type PyValue,
  typedArrayOf,
} from "../pickle/values.ts";
import type { DType, Tensor } from "../tensor.ts";
import {
  inflateEntry,
  MAX_DEFLATE_RATIO,
  zipEntries,
  type ZipEntry,
  ZipError,
} from "./zip.ts";

/** A malformed, unsupported or over-limit `torch.save` archive. */
export class TorchError extends SyntaxError {
  /** The zip entry concerned, when there is one. */
  readonly entry?: string;
  /** The archive's file, when the reader was told it. */
  readonly file?: string;
  /** The message without the file and entry. */
  readonly detail: string;
  /** Makes an error, naming `entry` and `options.file` when given. */
  constructor(
    message: string,
    entry?: string,
    options?: ErrorOptions & { file?: string },
  ) {
    super(
      `torch: ${options?.file ? `${options.file}: ` : ""}${message}${
        entry ? ` (entry ${entry})` : ""
      }`,
      options,
    );
    this.name = "TorchError";
    this.entry = entry;
    this.file = options?.file;
    this.detail = message;
  }
}

/** A dict of tensors (possibly nested, possibly with other values), as `model.state_dict()`. */
export type StateDict = PyDict;

/** Options of {@link readTorch}. */
export interface ReadTorchOptions {
  /** Largest declared uncompressed size of one zip entry (default 1 GiB); an entry inflating past its declared size is refused at the first byte past it. */
  maxEntryBytes?: number;
  /** Largest total uncompressed size of the entries inflated (default 2 GiB). */
  maxTotalBytes?: number;
  /** Largest total size of the tensors built, which strides may make larger than their storages (default 2 GiB). */
  maxTensorBytes?: number;
  /**
   * Largest total size of the deflated entries once inflated (default 64 MiB
   * plus 64 times the archive's size). `torch.save` stores entries
   * uncompressed, which this does not count; it bounds the work an archive
   * of deflated zeros can cost (fflate inflates them at about 50–100 MB/s).
   */
  maxInflatedBytes?: number;
  /** The archive's path, named in errors. */
  file?: string;
}

/** The legacy storage classes persistent ids name, by dtype. */
export const STORAGE_DTYPES: Readonly<Record<string, DType>> = Object.freeze({
  FloatStorage: "float32",
  DoubleStorage: "float64",
  HalfStorage: "float16",
  BFloat16Storage: "bfloat16",
  LongStorage: "int64",
  IntStorage: "int32",
  ShortStorage: "int16",
  CharStorage: "int8",
  ByteStorage: "uint8",
  BoolStorage: "bool",
  ComplexFloatStorage: "complex64",
  ComplexDoubleStorage: "complex128",
});

/** A storage of the archive, as persistent ids resolve to. */
export class TorchStorage {
  private typed?: Tensor["data"];
  /** A storage of `numel` elements of `dtype` in the bytes of `data/<key>`. */
  constructor(
    readonly dtype: DType,
    readonly key: string,
    readonly location: string,
    readonly numel: number,
    readonly bytes: Uint8Array,
    readonly bigEndian: boolean,
  ) {}

  /** The elements as a (copied, aligned, native byte order) typed array. */
  elements(): Tensor["data"] {
    if (this.typed) return this.typed;
    const size = ITEM_SIZE[this.dtype];
    const buf = this.bytes.slice(0, this.numel * size).buffer;
    if (this.bigEndian && size > 1) {
      const unit = this.dtype.startsWith("complex") ? size / 2 : size;
      const u = new Uint8Array(buf);
      for (let i = 0; i < u.length; i += unit) {
        u.subarray(i, i + unit).reverse();
      }
    }
    return this.typed = typedArrayOf(this.dtype, buf);
  }
}

const GiB = 1024 ** 3;
const INFLATE_BASE = 64 * 1024 * 1024;
const INFLATE_RATIO = 64;

function checkName(name: string, prefix: string | undefined): string {
  const parts = name.split("/");
  if (
    name.startsWith("/") || name.includes("\\") || name.includes("\0") ||
    parts.some((p) => p === ".." || p === ".") || /^[A-Za-z]:/.test(name)
  ) {
    throw new TorchError(
      "refusing an entry name that leaves the archive",
      name,
    );
  }
  if (parts.length < 2 || parts[0] === "") {
    throw new TorchError("entry is not inside an archive folder", name);
  }
  if (prefix !== undefined && parts[0] !== prefix) {
    throw new TorchError(
      `entry is outside the archive folder ${JSON.stringify(prefix)}`,
      name,
    );
  }
  return parts[0];
}

/**
 * An archive's directory, with entries inflated only when asked for. Names,
 * methods and declared sizes are checked up front (nothing is inflated);
 * each {@link ZipArchive.get} then inflates one entry within its declared
 * size and charges that size to a running total, so an archive whose headers
 * lie stops at the first byte past what they declare.
 */
export class ZipArchive {
  /** The one top-level folder every entry is in. */
  readonly prefix: string;
  readonly #bytes: Uint8Array;
  readonly #entries = new Map<string, ZipEntry>();
  readonly #maxEntry: number;
  readonly #maxTotal: number;
  readonly #maxInflated: number;
  #left: number;
  #inflateLeft: number;

  /** Reads the directory of `bytes`; throws {@link TorchError}. */
  constructor(bytes: Uint8Array, options: ReadTorchOptions = {}) {
    this.#bytes = bytes;
    this.#maxEntry = options.maxEntryBytes ?? GiB;
    this.#left = this.#maxTotal = options.maxTotalBytes ?? 2 * GiB;
    this.#inflateLeft = this.#maxInflated = options.maxInflatedBytes ??
      INFLATE_BASE + INFLATE_RATIO * bytes.length;
    let prefix: string | undefined;
    for (const e of zipCall(() => zipEntries(bytes))) {
      prefix = checkName(e.name, prefix);
      if (this.#entries.has(e.name)) {
        throw new TorchError("duplicate entry", e.name);
      }
      if (e.method !== 0 && e.method !== 8) {
        throw new TorchError(
          `unsupported zip compression method ${e.method}`,
          e.name,
        );
      }
      if (e.size > this.#maxEntry) {
        throw new TorchError(
          `entry declares ${e.size} bytes, more than the ${this.#maxEntry}-byte limit per entry`,
          e.name,
        );
      }
      if (
        e.method === 8 && e.size > e.compressedSize * MAX_DEFLATE_RATIO + 1024
      ) {
        throw new TorchError(
          `entry declares ${e.size} bytes, more than its ${e.compressedSize} deflated bytes can hold`,
          e.name,
        );
      }
      this.#entries.set(e.name, e);
    }
    if (prefix === undefined) throw new TorchError("empty zip archive");
    this.prefix = prefix;
  }

  /** The entries' names, in directory order. */
  names(): string[] {
    return [...this.#entries.keys()];
  }

  /** The declared (inflated) size of `name`, or undefined when absent. */
  size(name: string): number | undefined {
    return this.#entries.get(name)?.size;
  }

  /** The bytes of `name` (inflated within limits), or undefined when absent. */
  get(name: string): Uint8Array | undefined {
    const e = this.#entries.get(name);
    if (!e) return undefined;
    if (e.size > this.#left) {
      throw new TorchError(
        `archive inflates to more than the ${this.#maxTotal}-byte limit in total`,
        name,
      );
    }
    this.#left -= e.size;
    if (e.method === 8) {
      if (e.size > this.#inflateLeft) {
        throw new TorchError(
          `deflated entries inflate to more than the archive's limit of ${this.#maxInflated} bytes (by default ${INFLATE_BASE} plus ${INFLATE_RATIO} times the archive's size)`,
          name,
        );
      }
      this.#inflateLeft -= e.size;
    }
    return zipCall(() => inflateEntry(this.#bytes, e));
  }
}

function zipCall<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ZipError) {
      throw new TorchError(e.message, e.entry, { cause: e });
    }
    throw e;
  }
}

/**
 * The entries of a zip archive, all inflated, with the limits above
 * enforced while inflating (see {@link ZipArchive}).
 */
export function readArchive(
  bytes: Uint8Array,
  options: ReadTorchOptions = {},
): { prefix: string; entries: Map<string, Uint8Array> } {
  const archive = new ZipArchive(bytes, options);
  const entries = new Map<string, Uint8Array>();
  for (const name of archive.names()) entries.set(name, archive.get(name)!);
  return { prefix: archive.prefix, entries };
}

/** Whether `v` is a non-negative integer. */
export function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0;
}

/**
 * Decodes a `torch.save` archive into values (see the pickle value model),
 * with tensors as `Tensor`s (row-major, copied out of their storages).
 * Throws {@link TorchError} (archive problems, limits) or `PickleError`
 * (a malformed `data.pkl`).
 */
export function readTorch(
  bytes: Uint8Array,
  options: ReadTorchOptions = {},
): PyValue {
  if (options.file === undefined) return decodeTorch(bytes, options);
  try {
    return decodeTorch(bytes, options);
  } catch (e) {
    if (e instanceof TorchError && e.file === undefined) {
      throw new TorchError(e.detail, e.entry, { cause: e, file: options.file });
    }
    throw e;
  }
}

function decodeTorch(bytes: Uint8Array, options: ReadTorchOptions): PyValue {
  const archive = new ZipArchive(bytes, options);
  const prefix = archive.prefix;
  const entries = archive;
  const pklName = `${prefix}/data.pkl`;
  const pkl = entries.get(pklName);
  if (!pkl) {
    throw new TorchError(
      `no ${pklName}: not a torch.save archive (or the legacy non-zip format, which is not supported)`,
    );
  }
  const version = entries.get(`${prefix}/version`);
  if (version) {
    const text = new TextDecoder().decode(version).trim();
    if (!/^\d+$/.test(text) || Number(text) > 20) {
      throw new TorchError(
        `unsupported format version ${JSON.stringify(text.slice(0, 20))}`,
        `${prefix}/version`,
      );
    }
  }
  const order = entries.get(`${prefix}/byteorder`);
  const orderText = order ? new TextDecoder().decode(order).trim() : "little";
  if (orderText !== "little" && orderText !== "big") {
    throw new TorchError(
      `unknown byte order ${JSON.stringify(orderText.slice(0, 20))}`,
      `${prefix}/byteorder`,
    );
  }
  const bigEndian = orderText === "big";
  const storages = new Map<string, TorchStorage>();
  let tensorBudget = options.maxTensorBytes ?? 2 * GiB;

  const persistentLoad = (pid: PyValue): unknown => {
    if (
      !(pid instanceof PyTuple) || pid.length !== 5 || pid[0] !== "storage"
    ) {
      throw new TorchError(
        `unsupported persistent id ${
          String(pid).slice(0, 60)
        }; expected ('storage', type, key, location, numel)`,
        pklName,
      );
    }
    const [, type, key, location, numel] = pid;
    if (
      !(type instanceof PyGlobal) || type.module !== "torch" ||
      !Object.hasOwn(STORAGE_DTYPES, type.name)
    ) {
      throw new TorchError(`unknown storage type ${String(type)}`, pklName);
    }
    if (typeof key !== "string" || !isCount(numel)) {
      throw new TorchError("storage key or size is malformed", pklName);
    }
    const name = `${prefix}/data/${key}`;
    const cached = storages.get(key);
    if (cached) return cached;
    const declared = entries.size(name);
    if (declared === undefined) {
      throw new TorchError("storage entry is missing", name);
    }
    const dtype = STORAGE_DTYPES[type.name];
    if (numel * ITEM_SIZE[dtype] > declared) {
      throw new TorchError(
        `storage of ${numel} ${dtype} needs ${
          numel * ITEM_SIZE[dtype]
        } bytes, entry has ${declared}`,
        name,
      );
    }
    // inflated only now, once the pickle names it and its size fits
    const data = entries.get(name)!;
    const storage = new TorchStorage(
      dtype,
      key,
      String(location),
      numel,
      data,
      bigEndian,
    );
    storages.set(key, storage);
    return storage;
  };

  const rebuild = (args: PyValue[]): Tensor => {
    const [storage, offset, size, stride] = args as unknown[];
    if (!(storage instanceof TorchStorage)) {
      throw new TorchError("tensor without a storage", pklName);
    }
    if (
      !isCount(offset) || !Array.isArray(size) || !Array.isArray(stride) ||
      size.length !== stride.length || !size.every(isCount) ||
      !stride.every(isCount)
    ) {
      throw new TorchError(
        "tensor size, stride or offset is malformed",
        pklName,
      );
    }
    const t = gather(storage, offset, size, stride, pklName, tensorBudget);
    tensorBudget -= t.data.byteLength;
    return t;
  };

  return unpickle(pkl, {
    persistentLoad,
    reducers: {
      "torch._utils._rebuild_tensor_v2": rebuild,
      "torch._utils._rebuild_tensor": rebuild,
      "torch._utils._rebuild_parameter": (args) => args[0],
      "torch._utils._rebuild_parameter_with_state": (args) => args[0],
    },
  });
}

/** The elements `offset + Σ index·stride` of a storage, in row-major order. */
export function gather(
  storage: TorchStorage,
  offset: number,
  size: number[],
  stride: number[],
  entry: string,
  budget: number,
): Tensor {
  const dtype = storage.dtype;
  const lanes = dtype.startsWith("complex") ? 2 : 1;
  let count = 1;
  for (const d of size) count *= d;
  const bytes = count * ITEM_SIZE[dtype];
  if (bytes > budget) {
    throw new TorchError(
      `tensor of shape [${size}] needs ${bytes} bytes, more than the remaining tensor limit ${budget}`,
      entry,
    );
  }
  const src = storage.elements();
  if (count > 0) {
    let last = offset;
    for (let i = 0; i < size.length; i++) last += (size[i] - 1) * stride[i];
    if (last >= storage.numel) {
      throw new TorchError(
        `tensor of shape [${size}] stride [${stride}] offset ${offset} reaches element ${last} of a ${storage.numel}-element storage`,
        entry,
      );
    }
  }
  const n = size.length;
  let contiguous = true;
  for (let i = n - 1, s = 1; i >= 0; i--) {
    if (size[i] !== 1 && stride[i] !== s) contiguous = false;
    s *= size[i];
  }
  const Ctor = src.constructor as new (n: number) => Tensor["data"];
  let data: Tensor["data"];
  if (contiguous) {
    data = src.slice(
      offset * lanes,
      (offset + count) * lanes,
    ) as Tensor["data"];
  } else {
    data = new Ctor(count * lanes);
    const out = data as unknown as number[];
    const inp = src as unknown as number[];
    const idx = new Array(n).fill(0);
    let at = offset;
    for (let k = 0; k < count; k++) {
      for (let l = 0; l < lanes; l++) out[k * lanes + l] = inp[at * lanes + l];
      for (let i = n - 1; i >= 0; i--) {
        if (++idx[i] < size[i]) {
          at += stride[i];
          break;
        }
        at -= (size[i] - 1) * stride[i];
        idx[i] = 0;
      }
    }
  }
  return { dtype, shape: [...size], data } as Tensor;
}

/**
 * Reads a `torch.save` archive of a state dict (a dict, nested dicts
 * allowed) — what cox's PYTORCH_STATE cells name. Throws {@link TorchError}
 * when the archive holds something else.
 */
export function readStateDict(
  bytes: Uint8Array,
  options: ReadTorchOptions = {},
): StateDict {
  const value = readTorch(bytes, options);
  if (
    typeof value !== "object" || value === null ||
    Object.getPrototypeOf(value) !== null
  ) {
    throw new TorchError(
      `the archive holds ${
        value instanceof Map ? "a dict with non-str keys" : "no dict"
      }, not a state dict`,
      undefined,
      { file: options.file },
    );
  }
  return value as StateDict;
}

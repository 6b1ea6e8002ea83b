/**
 * Reading `torch.save` archives (the zip format of torch 1.6 and later)
 * without running code: `data.pkl` is decoded by the safe pickle reader,
 * storages come from `data/<key>`, and tensors are rebuilt from
 * `torch._utils._rebuild_tensor_v2` calls (non-contiguous strides gathered).
 *
 * @module
 */

import { unzipSync } from "npm:fflate@0.8.2/browser";
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

/** A malformed, unsupported or over-limit `torch.save` archive. */
export class TorchError extends SyntaxError {
  /** The zip entry concerned, when there is one. */
  readonly entry?: string;
  /** Makes an error, naming `entry` when given. */
  constructor(message: string, entry?: string, options?: ErrorOptions) {
    super(`torch: ${message}${entry ? ` (entry ${entry})` : ""}`, options);
    this.name = "TorchError";
    this.entry = entry;
  }
}

/** A dict of tensors (possibly nested, possibly with other values), as `model.state_dict()`. */
export type StateDict = PyDict;

/** Options of {@link readTorch}. */
export interface ReadTorchOptions {
  /** Largest uncompressed size of one zip entry (default 1 GiB). */
  maxEntryBytes?: number;
  /** Largest total uncompressed size of all entries (default 2 GiB). */
  maxTotalBytes?: number;
  /** Largest total size of the tensors built, which strides may make larger than their storages (default 2 GiB). */
  maxTensorBytes?: number;
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

const MAX_DEFLATE_RATIO = 1032;
const GiB = 1024 ** 3;

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
 * The entries of a zip archive, with the limits above enforced before
 * anything is inflated (deflated entries are only inflated when even the
 * worst case, 1032 times their compressed size, fits the limits).
 */
export function readArchive(
  bytes: Uint8Array,
  options: ReadTorchOptions = {},
): { prefix: string; entries: Map<string, Uint8Array> } {
  const maxEntry = options.maxEntryBytes ?? GiB;
  const maxTotal = options.maxTotalBytes ?? 2 * GiB;
  let prefix: string | undefined;
  let total = 0;
  const declared = new Map<string, number>();
  let files: Record<string, Uint8Array>;
  if (bytes.length < 22) throw new TorchError("not a zip archive (too short)");
  try {
    files = unzipSync(bytes, {
      filter(file) {
        prefix = checkName(file.name, prefix);
        if (declared.has(file.name)) {
          throw new TorchError("duplicate entry", file.name);
        }
        if (file.compression !== 0 && file.compression !== 8) {
          throw new TorchError(
            `unsupported zip compression method ${file.compression}`,
            file.name,
          );
        }
        const worst = file.compression === 0
          ? file.size
          : Math.max(file.originalSize, file.size * MAX_DEFLATE_RATIO);
        if (file.originalSize > maxEntry || worst > maxEntry) {
          throw new TorchError(
            `entry may inflate to ${worst} bytes, more than the ${maxEntry}-byte limit per entry`,
            file.name,
          );
        }
        if (total + worst > maxTotal) {
          throw new TorchError(
            `archive may inflate to more than the ${maxTotal}-byte limit in total`,
            file.name,
          );
        }
        total += worst;
        declared.set(file.name, file.originalSize);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof TorchError) throw e;
    throw new TorchError(
      `not a readable zip archive: ${(e as Error)?.message ?? e}`,
      undefined,
      { cause: e },
    );
  }
  const entries = new Map<string, Uint8Array>();
  for (const [name, size] of declared) {
    const data = files[name];
    if (!(data instanceof Uint8Array) || data.length !== size) {
      throw new TorchError(
        `entry holds ${data?.length ?? 0} bytes but its header says ${size}`,
        name,
      );
    }
    entries.set(name, data);
  }
  if (prefix === undefined) throw new TorchError("empty zip archive");
  return { prefix, entries };
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
  const { prefix, entries } = readArchive(bytes, options);
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
    const data = entries.get(name);
    if (!data) throw new TorchError("storage entry is missing", name);
    const dtype = STORAGE_DTYPES[type.name];
    if (numel * ITEM_SIZE[dtype] > data.length) {
      throw new TorchError(
        `storage of ${numel} ${dtype} needs ${
          numel * ITEM_SIZE[dtype]
        } bytes, entry has ${data.length}`,
        name,
      );
    }
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
    );
  }
  return value as StateDict;
}

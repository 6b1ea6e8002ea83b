/**
 * torch's legacy (pre-zip) serialization, which `torch.save(...,
 * _use_new_zipfile_serialization=False)` writes and which a pickled tensor
 * embeds: `pickle.dumps(tensor)` (and dill, so cox's OBJECT and PICKLE
 * cells) writes `torch._utils._rebuild_tensor_v2(
 * torch.storage._load_from_bytes(<legacy bytes>), offset, size, stride, ...)`.
 *
 * The legacy bytes are five pickles in a row (magic number, protocol
 * version 1001, system info, the object with storages as persistent ids
 * `('storage', type, key, location, numel, view)`, the list of storage
 * keys), then each storage as a little-endian int64 element count and its
 * elements. Nothing is run; sizes are checked before anything is copied.
 *
 * @module
 */

import { PickleError, unpickleAt } from "../pickle/read.ts";
import {
  ITEM_SIZE,
  PyGlobal,
  PyTuple,
  type PyValue,
} from "../pickle/values.ts";
import type { Tensor } from "../tensor.ts";
import {
  gather,
  isCount,
  STORAGE_DTYPES,
  TorchError,
  TorchStorage,
} from "./read.ts";

const MAGIC = 0x1950a86a20f9469cfc6cn;
const PROTOCOL = 1001;
const WHAT = "legacy torch data";

interface StorageId {
  key: string;
  dtype: TorchStorage["dtype"];
  location: string;
  numel: number;
}

function storageId(pid: PyValue): StorageId {
  if (!(pid instanceof PyTuple) || pid[0] !== "storage" || pid.length < 5) {
    throw new TorchError(
      `unsupported persistent id ${
        String(pid).slice(0, 60)
      }; expected ('storage', type, key, location, numel, view)`,
      WHAT,
    );
  }
  const [, type, key, location, numel, view] = pid;
  if (
    !(type instanceof PyGlobal) || type.module !== "torch" ||
    !Object.hasOwn(STORAGE_DTYPES, type.name)
  ) {
    throw new TorchError(`unknown storage type ${String(type)}`, WHAT);
  }
  if (typeof key !== "string" || !isCount(numel)) {
    throw new TorchError("storage key or size is malformed", WHAT);
  }
  if (view !== undefined && view !== null) {
    throw new TorchError("storage views are not supported", WHAT);
  }
  return {
    key,
    dtype: STORAGE_DTYPES[type.name],
    location: String(location),
    numel,
  };
}

/**
 * Decodes legacy torch bytes (as `torch.storage._load_from_bytes` takes
 * them) into values; storages are {@link TorchStorage}s, tensors `Tensor`s.
 */
export function readLegacyTorch(bytes: Uint8Array): PyValue {
  let at = 0;
  const next = (options = {}) => {
    const { value, end } = unpickleAt(bytes, at, options);
    at = end;
    return value;
  };
  const magic = next();
  if (magic !== MAGIC && BigInt(magic as number) !== MAGIC) {
    throw new TorchError("not torch's legacy format (no magic number)", WHAT);
  }
  if (next() !== PROTOCOL) {
    throw new TorchError(`protocol version is not ${PROTOCOL}`, WHAT);
  }
  const info = next() as Record<string, unknown> | null;
  if (info && typeof info === "object" && info.little_endian === false) {
    throw new TorchError("big-endian legacy data is not supported", WHAT);
  }
  // the object names its storages before their bytes come: read it once to
  // find where it ends, then again once the storages are known
  const objectAt = at;
  next({ persistentLoad: (pid: PyValue) => (storageId(pid), null) });
  const keys = next();
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === "string")) {
    throw new TorchError("the list of storage keys is malformed", WHAT);
  }
  const ids = new Map<string, StorageId>();
  unpickleAt(bytes, objectAt, {
    persistentLoad: (pid: PyValue) => {
      const id = storageId(pid);
      ids.set(id.key, id);
      return null;
    },
  });
  const storages = new Map<string, TorchStorage>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const key of keys as string[]) {
    const id = ids.get(key);
    if (id === undefined) {
      throw new TorchError(`storage ${key} is listed but never used`, WHAT);
    }
    if (at + 8 > bytes.length) {
      throw new TorchError(`storage ${key} is cut short`, WHAT);
    }
    const count = view.getBigInt64(at, true);
    const size = ITEM_SIZE[id.dtype];
    if (count !== BigInt(id.numel) || at + 8 + id.numel * size > bytes.length) {
      throw new TorchError(
        `storage ${key} of ${id.numel} ${id.dtype} does not match its ${count}-element data`,
        WHAT,
      );
    }
    const data = bytes.subarray(at + 8, at + 8 + id.numel * size);
    at += 8 + data.length;
    storages.set(
      key,
      new TorchStorage(id.dtype, key, id.location, id.numel, data, false),
    );
  }
  const { value } = unpickleAt(bytes, objectAt, {
    persistentLoad: (pid: PyValue) => {
      const id = storageId(pid);
      const storage = storages.get(id.key);
      if (!storage) {
        throw new TorchError(`storage ${id.key} has no data`, WHAT);
      }
      return storage;
    },
    reducers: tensorReducers(),
  });
  return value;
}

/** Largest total size of the tensors one pickle rebuilds (strides may make them larger than their storages). */
const TENSOR_BUDGET = 2 * 1024 ** 3;

/** A rebuilder of tensors from `(storage, offset, size, stride, ...)`, all of them within one budget. */
function rebuilder(): (args: PyValue[]) => Tensor {
  let budget = TENSOR_BUDGET;
  return (args) => {
    const t = rebuild(args, budget);
    budget -= t.data.byteLength;
    return t;
  };
}

function rebuild(args: PyValue[], budget: number): Tensor {
  const [storage, offset, size, stride] = args as unknown[];
  if (!(storage instanceof TorchStorage)) {
    throw new TorchError("tensor without a storage", WHAT);
  }
  if (
    !isCount(offset) || !Array.isArray(size) || !Array.isArray(stride) ||
    size.length !== stride.length || !size.every(isCount) ||
    !stride.every(isCount)
  ) {
    throw new TorchError("tensor size, stride or offset is malformed", WHAT);
  }
  return gather(storage, offset, size, stride, WHAT, budget);
}

function tensorReducers(): Record<string, (args: PyValue[]) => unknown> {
  const rebuildTensor = rebuilder();
  return {
    "torch._utils._rebuild_tensor_v2": rebuildTensor,
    "torch._utils._rebuild_tensor": rebuildTensor,
    "torch._utils._rebuild_parameter": (args) => args[0],
  };
}

/**
 * Reducers for `unpickle` that rebuild the torch tensors a plain pickle (or
 * dill) of tensors holds, as `Tensor`s: pass a fresh set as `reducers` to
 * each `unpickle`.
 */
export function torchPickleReducers(): Record<
  string,
  (args: PyValue[]) => unknown
> {
  return {
    ...tensorReducers(),
    "torch.storage._load_from_bytes": loadFromBytes,
  };
}

function loadFromBytes(args: PyValue[]): TorchStorage {
  const [data] = args;
  if (!(data instanceof Uint8Array) || args.length !== 1) {
    throw new PickleError(
      "torch.storage._load_from_bytes expects one bytes argument",
      0,
    );
  }
  const storage = readLegacyTorch(data);
  if (!(storage instanceof TorchStorage)) {
    throw new TorchError("the bytes hold no storage", WHAT);
  }
  return storage;
}

/**
 * Writing `torch.save` archives that `torch.load` (also with
 * `weights_only=True`) reads back with equal dtypes, shapes and values.
 *
 * @module
 */

import { zipSync } from "npm:fflate@0.8.2/browser";
import { pickle } from "../pickle/write.ts";
import {
  isTensor,
  ITEM_SIZE,
  PyGlobal,
  PyObject,
  PyTuple,
  type PyValue,
  tuple,
} from "../pickle/values.ts";
import type { DType, Tensor } from "../tensor.ts";
import { STORAGE_DTYPES } from "./read.ts";

/** Options of {@link writeTorch}. */
export interface WriteTorchOptions {
  /** The folder inside the zip (torch uses the file name's stem; default "archive"). */
  archiveName?: string;
  /** Byte alignment of storage data in the zip, as torch writes (default 64; 1 for none). */
  align?: number;
}

const STORAGE_OF: Partial<Record<DType, string>> = {};
for (const [name, dtype] of Object.entries(STORAGE_DTYPES)) {
  STORAGE_OF[dtype] = name;
}

/** A storage placeholder while pickling; written as a persistent id. */
class StorageRef {
  constructor(readonly key: string, readonly tensor: Tensor) {}
}

/** Bytes of a tensor's elements, little-endian (bools as 0/1). */
function tensorBytes(t: Tensor): Uint8Array {
  let count = 1;
  for (const d of t.shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new TypeError(`torch: bad tensor shape [${t.shape}]`);
    }
    count *= d;
  }
  const lanes = t.dtype.startsWith("complex") ? 2 : 1;
  if (t.data.length !== count * lanes) {
    throw new TypeError(
      `torch: a ${t.dtype} tensor of shape [${t.shape}] needs ${
        count * lanes
      } elements, its data has ${t.data.length}`,
    );
  }
  const raw = new Uint8Array(
    t.data.buffer,
    t.data.byteOffset,
    count * ITEM_SIZE[t.dtype],
  );
  return t.dtype === "bool" ? raw.map((x) => (x ? 1 : 0)) : raw.slice();
}

/**
 * A `torch.save` archive (zip, entries STORED, storages 64-byte aligned) of
 * `value`: Tensors become torch tensors (one storage each, contiguous), the
 * rest is pickled as by `pickle` (protocol 2, as torch).
 *
 * @example
 * ```ts
 * import { readStateDict, writeTorch } from "./mod.ts";
 * const bytes = writeTorch({ w: { dtype: "float32", shape: [2], data: new Float32Array([1, 2]) } });
 * const back = readStateDict(bytes);
 * if ((back.w as { data: Float32Array }).data[1] !== 2) throw new Error("example failed");
 * ```
 */
export function writeTorch(
  value: PyValue,
  options: WriteTorchOptions = {},
): Uint8Array {
  const name = options.archiveName ?? "archive";
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name === "." || name === "..") {
    throw new TypeError(
      `torch: archive name ${JSON.stringify(name)} must be a plain file name`,
    );
  }
  const align = options.align ?? 64;
  const refs = new Map<Tensor, StorageRef>();
  const copies = new Map<object, PyValue>();
  const hooks = new PyObject("collections", "OrderedDict");

  // Replace tensors by _rebuild_tensor_v2 calls over storage references.
  const convert = (v: PyValue, depth: number): PyValue => {
    if (typeof v !== "object" || v === null) return v;
    if (depth > 1000) {
      throw new RangeError("torch: value nested deeper than 1000");
    }
    const done = copies.get(v);
    if (done !== undefined) return done;
    if (isTensor(v)) {
      if (!STORAGE_OF[v.dtype]) {
        throw new TypeError(`torch: no storage for ${v.dtype}`);
      }
      const ref = new StorageRef(String(refs.size), v);
      refs.set(v, ref);
      const shape = tuple(...v.shape);
      const stride = new PyTuple();
      for (let i = v.shape.length - 1, s = 1; i >= 0; i--) {
        stride.unshift(s);
        s *= v.shape[i];
      }
      const call = new PyObject("torch._utils", "_rebuild_tensor_v2", [
        ref as unknown as PyValue,
        0,
        shape,
        stride,
        false,
        hooks,
      ]);
      copies.set(v, call);
      return call;
    }
    if (v instanceof PyTuple) {
      const out = new PyTuple();
      copies.set(v, out);
      for (const x of v) out.push(convert(x, depth + 1));
      return out;
    }
    if (Array.isArray(v)) {
      const out: PyValue[] = [];
      copies.set(v, out);
      for (const x of v) out.push(convert(x, depth + 1));
      return out;
    }
    if (v instanceof Map) {
      const out = new Map<PyValue, PyValue>();
      copies.set(v, out);
      for (const [k, x] of v) {
        out.set(convert(k, depth + 1), convert(x, depth + 1));
      }
      return out;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto === null || proto === Object.prototype) {
      const out: Record<string, PyValue> = Object.create(null);
      copies.set(v, out);
      for (const k of Object.keys(v)) {
        Object.defineProperty(out, k, {
          value: convert((v as Record<string, PyValue>)[k], depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return v; // sets, globals, objects: pickled as they are
  };

  const pkl = pickle(convert(value, 0), {
    protocol: 2,
    persistentId(obj) {
      if (!(obj instanceof StorageRef)) return undefined;
      const t = obj.tensor;
      const lanes = t.dtype.startsWith("complex") ? 2 : 1;
      return tuple(
        "storage",
        new PyGlobal("torch", STORAGE_OF[t.dtype]!),
        obj.key,
        "cpu",
        t.data.length / lanes,
      );
    },
  });

  const files: [string, Uint8Array][] = [
    [`${name}/data.pkl`, pkl],
    [`${name}/byteorder`, new TextEncoder().encode("little")],
  ];
  for (const ref of refs.values()) {
    files.push([`${name}/data/${ref.key}`, tensorBytes(ref.tensor)]);
  }
  files.push([`${name}/version`, new TextEncoder().encode("3\n")]);

  // Local header: 30 bytes + name + extra; an extra field pads data to `align`.
  const zipInput: Record<
    string,
    [Uint8Array, { level: 0; mtime: Date; extra?: Record<number, Uint8Array> }]
  > = {};
  const mtime = new Date(1980, 0, 1);
  let offset = 0;
  for (const [entry, data] of files) {
    const nameLength = new TextEncoder().encode(entry).length;
    let extraLength = 0;
    let extra: Record<number, Uint8Array> | undefined;
    if (align > 1 && entry.includes("/data/")) {
      const bare = offset + 30 + nameLength + 4;
      const pad = (align - (bare % align)) % align;
      extra = { 0x4246: new Uint8Array(pad) };
      extraLength = 4 + pad;
    }
    zipInput[entry] = [data, { level: 0, mtime, ...(extra ? { extra } : {}) }];
    offset += 30 + nameLength + extraLength + data.length;
  }
  return zipSync(zipInput);
}

/** {@link writeTorch} for a state dict (a dict of tensors, nested dicts allowed). */
export function writeStateDict(
  stateDict: Record<string, PyValue> | Map<PyValue, PyValue>,
  options: WriteTorchOptions = {},
): Uint8Array {
  return writeTorch(stateDict, options);
}

/**
 * A pickle writer for the value model of `values.ts`, producing what Python
 * 3's `pickle.dumps` produces (protocol 0 text pickles as PyTables stores in
 * HDF5 attributes, protocol 4 as cox and dill write), such that
 * `pickle.loads` returns equal values.
 *
 * @module
 */

import type { Tensor } from "../tensor.ts";
import {
  DTYPE_CODES,
  isTensor,
  ITEM_SIZE,
  NumpyDType,
  PyByteArray,
  PyComplex,
  PyFloat,
  pyFloat,
  PyFrozenSet,
  PyGlobal,
  PyObject,
  PyTuple,
  type PyValue,
  tuple,
} from "./values.ts";

/** Options of {@link pickle}. */
export interface PickleOptions {
  /** Pickle protocol (default 4, Python 3.8+'s default). */
  protocol?: 0 | 1 | 2 | 3 | 4 | 5;
  /** Deepest nesting written before a `RangeError` (default 1000, as Python's recursion limit). */
  maxDepth?: number;
  /**
   * As Python's `Pickler.persistent_id`: called for every object value;
   * when it returns something other than `undefined`, that is pickled as
   * a persistent id (BINPERSID; PERSID with a string at protocol 0) in
   * place of the value. `value` may be any object given to the writer.
   */
  persistentId?: (value: object) => PyValue | undefined;
}

const BATCH = 1000;

/** Python 3 names that protocols 0-2 spell in Python 2 terms, as Python does. */
const REVERSE_NAMES: Record<string, [string, string]> = {
  "builtins.str": ["__builtin__", "unicode"],
  "builtins.int": ["__builtin__", "long"],
  "builtins.range": ["__builtin__", "xrange"],
  "builtins.chr": ["__builtin__", "unichr"],
  "functools.reduce": ["__builtin__", "reduce"],
  "sys.intern": ["__builtin__", "intern"],
  "collections.UserDict": ["UserDict", "UserDict"],
  "collections.UserList": ["UserList", "UserList"],
  "collections.UserString": ["UserString", "UserString"],
};
const REVERSE_MODULES: Record<string, string> = {
  builtins: "__builtin__",
  copyreg: "copy_reg",
  queue: "Queue",
};

class Buf {
  bytes = new Uint8Array(256);
  length = 0;
  private view = new DataView(this.bytes.buffer);

  private ensure(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }
  byte(b: number): void {
    this.ensure(1);
    this.bytes[this.length++] = b;
  }
  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.bytes.set(b, this.length);
    this.length += b.length;
  }
  /** A string of chars < 256, one byte each. */
  text(s: string): void {
    this.ensure(s.length);
    for (let i = 0; i < s.length; i++) {
      this.bytes[this.length++] = s.charCodeAt(i);
    }
  }
  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
  }
  u64(v: number): void {
    this.ensure(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  f64be(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.length, v, false);
    this.length += 8;
  }
  result(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

/**
 * Python's `repr` of a float (shortest round-trip digits, exponent form below
 * 1e-4 and from 1e16 on), e.g. `1.0`, `1e+16`, `1e-05`, `inf`, `nan`.
 *
 * @example
 * ```ts
 * import { floatRepr } from "./write.ts";
 * if (!(floatRepr(1) === "1.0" && floatRepr(1e16) === "1e+16")) throw new Error("example failed");
 * if (!(floatRepr(0.0001) === "0.0001" && floatRepr(1e-5) === "1e-05")) throw new Error("example failed");
 * ```
 */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mant, expText] = Math.abs(x).toExponential().split("e");
  const digits = mant.replace(".", "");
  const e = Number(expText);
  if (e < -4 || e >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ee = Math.abs(e).toString().padStart(2, "0");
    return `${sign}${m}e${e < 0 ? "-" : "+"}${ee}`;
  }
  if (e < 0) return `${sign}0.${"0".repeat(-e - 1)}${digits}`;
  const intPart = digits.slice(0, e + 1).padEnd(e + 1, "0");
  const frac = digits.slice(e + 1) || "0";
  return `${sign}${intPart}.${frac}`;
}

const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const utf8 = new TextEncoder();

/** UTF-8 with Python's `surrogatepass` (lone surrogates are encoded, not replaced). */
function encodeUtf8(s: string): Uint8Array {
  if (!LONE_SURROGATE.test(s)) return utf8.encode(s);
  const out: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) {
      out.push(
        0xe0 | (cp >> 12),
        0x80 | ((cp >> 6) & 0x3f),
        0x80 | (cp & 0x3f),
      );
    } else {
      out.push(
        0xf0 | (cp >> 18),
        0x80 | ((cp >> 12) & 0x3f),
        0x80 | ((cp >> 6) & 0x3f),
        0x80 | (cp & 0x3f),
      );
    }
  }
  return new Uint8Array(out);
}

/** Minimal two's-complement little-endian bytes of `x`, as Python's `encode_long`. */
function encodeLong(x: bigint): Uint8Array {
  if (x === 0n) return new Uint8Array(0);
  let n = 1;
  let bound = 128n;
  while (!(x >= -bound && x < bound)) {
    n++;
    bound <<= 8n;
  }
  const v = x < 0n ? x + (1n << BigInt(8 * n)) : x;
  const hex = v.toString(16).padStart(2 * n, "0");
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    out[n - 1 - i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}

/**
 * Pickles `value` (see `values.ts` for the mapping). Integral numbers are
 * written as `int` (wrap with `pyFloat` for a float), `-0`, NaN and
 * infinities as `float`; Tensors as numpy arrays. Shared references and
 * cycles through lists, dicts and objects are kept, via the memo.
 *
 * Throws `TypeError` for values outside the model (e.g. functions,
 * `undefined`, bfloat16 tensors) and `RangeError` past `maxDepth`.
 *
 * @example
 * ```ts
 * import { pickle } from "./write.ts";
 * import { tuple } from "./values.ts";
 * const bytes = pickle([tuple(1, ["a"])], { protocol: 0 });
 * if (!(new TextDecoder().decode(bytes) === "(lp0\n(I1\n(lp1\nVa\np2\natp3\na.")) throw new Error("example failed");
 * ```
 */
export function pickle(
  value: PyValue,
  options: PickleOptions = {},
): Uint8Array {
  const protocol = options.protocol ?? 4;
  if (![0, 1, 2, 3, 4, 5].includes(protocol)) {
    throw new RangeError(`pickle: unsupported protocol ${protocol}`);
  }
  const w = new Writer(
    protocol,
    options.maxDepth ?? 1000,
    options.persistentId,
  );
  w.save(value, 0);
  w.buf.byte(0x2e); // STOP
  const body = w.buf.result();
  if (protocol < 2) return body;
  const head = new Buf();
  head.byte(0x80);
  head.byte(protocol);
  if (protocol >= 4 && body.length >= 4) {
    head.byte(0x95); // FRAME
    head.u64(body.length);
  }
  head.raw(body);
  return head.result();
}

class Writer {
  readonly buf = new Buf();
  private memo = new Map<object | string, number>();

  constructor(
    readonly proto: number,
    readonly maxDepth: number,
    readonly persistentId?: (value: object) => PyValue | undefined,
  ) {}

  private put(obj: object | string): void {
    const index = this.memo.size;
    this.memo.set(obj, index);
    if (this.proto >= 4) this.buf.byte(0x94); // MEMOIZE
    else if (this.proto === 0) this.buf.text(`p${index}\n`);
    else if (index < 256) {
      this.buf.byte(0x71); // BINPUT
      this.buf.byte(index);
    } else {
      this.buf.byte(0x72); // LONG_BINPUT
      this.buf.u32(index);
    }
  }

  private get(index: number): void {
    if (this.proto === 0) this.buf.text(`g${index}\n`);
    else if (index < 256) {
      this.buf.byte(0x68);
      this.buf.byte(index);
    } else {
      this.buf.byte(0x6a);
      this.buf.u32(index);
    }
  }

  save(v: PyValue, depth: number): void {
    if (depth > this.maxDepth) {
      throw new RangeError(`pickle: value nested deeper than ${this.maxDepth}`);
    }
    const b = this.buf;
    if (v === null) return b.byte(0x4e);
    switch (typeof v) {
      case "boolean":
        if (this.proto >= 2) b.byte(v ? 0x88 : 0x89);
        else b.text(v ? "I01\n" : "I00\n");
        return;
      case "number":
        if (Number.isInteger(v) && !Object.is(v, -0)) {
          return this.int(BigInt(v));
        }
        return this.float(v);
      case "bigint":
        return this.int(v);
      case "string":
        return this.str(v);
      case "object":
        break;
      default:
        throw new TypeError(`pickle: cannot pickle a ${typeof v}`);
    }
    if (this.persistentId) {
      const pid = this.persistentId(v);
      if (pid !== undefined) return this.persistent(pid, depth);
    }
    if (v instanceof PyFloat) return this.float(v.value);
    const seen = this.memo.get(v);
    if (seen !== undefined) return this.get(seen);
    const d = depth + 1;
    if (v instanceof PyByteArray) {
      const bytes = new Uint8Array(v);
      return this.object(new PyObject("builtins", "bytearray", [bytes]), d);
    }
    if (v instanceof Uint8Array) return this.bytes(v);
    if (v instanceof PyComplex) {
      const parts = [pyFloat(v.re), pyFloat(v.im)];
      return this.object(new PyObject("builtins", "complex", parts), d);
    }
    if (v instanceof PyTuple) return this.tuple(v, d);
    if (Array.isArray(v)) return this.list(v, d);
    if (v instanceof Map) return this.dict([...v.entries()], v, d);
    if (v instanceof Set) return this.set(v, d);
    if (v instanceof PyGlobal) return this.global(v.module, v.name, v);
    if (v instanceof PyObject) return this.object(v, d);
    if (v instanceof NumpyDType) return this.dtype(v, d);
    if (isTensor(v)) return this.ndarray(v, d);
    if (ArrayBuffer.isView(v)) {
      throw new TypeError(
        `pickle: cannot pickle a ${v.constructor.name} (only Uint8Array as bytes, or a Tensor)`,
      );
    }
    const proto = Object.getPrototypeOf(v);
    if (proto === null || proto === Object.prototype) {
      const obj = v as Record<string, PyValue>;
      const entries = Object.keys(obj).map((k) =>
        [k, obj[k]] as [PyValue, PyValue]
      );
      return this.dict(entries, v, d);
    }
    throw new TypeError(
      `pickle: cannot pickle a ${proto?.constructor?.name ?? "object"}`,
    );
  }

  private persistent(pid: PyValue, depth: number): void {
    if (this.proto === 0) {
      if (typeof pid !== "string" || /[\n\u0080-\uffff]/.test(pid)) {
        throw new TypeError(
          "pickle: protocol 0 persistent ids must be ASCII strings without newlines",
        );
      }
      this.buf.text(`P${pid}\n`);
      return;
    }
    const save = this.persistentId;
    (this as { persistentId?: unknown }).persistentId = undefined;
    try {
      this.save(pid, depth + 1);
    } finally {
      (this as { persistentId?: unknown }).persistentId = save;
    }
    this.buf.byte(0x51); // BINPERSID
  }

  private int(n: bigint): void {
    const b = this.buf;
    if (this.proto >= 1) {
      if (n >= 0n && n < 256n) {
        b.byte(0x4b);
        b.byte(Number(n));
        return;
      }
      if (n >= 0n && n < 65536n) {
        b.byte(0x4d);
        b.u16(Number(n));
        return;
      }
      if (n >= -0x80000000n && n <= 0x7fffffffn) {
        b.byte(0x4a);
        b.i32(Number(n));
        return;
      }
    }
    if (this.proto >= 2) {
      const bytes = encodeLong(n);
      if (bytes.length < 256) {
        b.byte(0x8a);
        b.byte(bytes.length);
      } else {
        b.byte(0x8b);
        b.i32(bytes.length);
      }
      b.raw(bytes);
      return;
    }
    if (n >= -0x80000000n && n <= 0x7fffffffn) b.text(`I${n}\n`);
    else b.text(`L${n}L\n`);
  }

  private float(x: number): void {
    if (this.proto >= 1) {
      this.buf.byte(0x47);
      this.buf.f64be(x);
    } else this.buf.text(`F${floatRepr(x)}\n`);
  }

  private str(s: string): void {
    const seen = this.memo.get(s);
    if (seen !== undefined) return this.get(seen);
    this.rawStr(s);
    this.put(s);
  }

  private rawStr(s: string): void {
    const b = this.buf;
    if (this.proto === 0) {
      b.byte(0x56); // UNICODE, raw-unicode-escape
      let out = "";
      for (const ch of s) {
        const cp = ch.codePointAt(0)!;
        if (
          cp === 0x5c || cp === 0 || cp === 10 || cp === 13 || cp === 0x1a ||
          (cp > 0xff && cp <= 0xffff)
        ) out += "\\u" + cp.toString(16).padStart(4, "0");
        else if (cp > 0xffff) out += "\\U" + cp.toString(16).padStart(8, "0");
        else out += ch;
      }
      b.text(out);
      b.byte(10);
      return;
    }
    const bytes = encodeUtf8(s);
    if (bytes.length < 256 && this.proto >= 4) {
      b.byte(0x8c);
      b.byte(bytes.length);
    } else if (bytes.length <= 0xffffffff) {
      b.byte(0x58);
      b.u32(bytes.length);
    } else {
      b.byte(0x8d);
      b.u64(bytes.length);
    }
    b.raw(bytes);
  }

  private bytes(v: Uint8Array): void {
    const b = this.buf;
    if (this.proto < 3) {
      if (v.length === 0) {
        this.global("builtins", "bytes");
        this.emptyTuple();
      } else {
        this.global("_codecs", "encode");
        let s = "";
        for (let i = 0; i < v.length; i += 8192) {
          s += String.fromCharCode(...v.subarray(i, i + 8192));
        }
        if (this.proto < 2) this.mark();
        this.str(s);
        this.str("latin1");
        b.byte(this.proto >= 2 ? 0x86 : 0x74); // TUPLE2 / TUPLE
      }
      b.byte(0x52); // REDUCE
      this.put(v);
      return;
    }
    if (v.length < 256) {
      b.byte(0x43);
      b.byte(v.length);
    } else if (v.length <= 0xffffffff) {
      b.byte(0x42);
      b.u32(v.length);
    } else {
      b.byte(0x8e);
      b.u64(v.length);
    }
    b.raw(v);
    this.put(v);
  }

  private mark(): void {
    this.buf.byte(0x28);
  }

  private emptyTuple(): void {
    if (this.proto >= 1) this.buf.byte(0x29);
    else this.buf.text("(t");
  }

  private tuple(t: PyValue[], depth: number, memoKey: object = t): void {
    const b = this.buf;
    const n = t.length;
    if (n === 0) return this.emptyTuple();
    if (n <= 3 && this.proto >= 2) {
      for (const item of t) this.save(item, depth);
      const seen = this.memo.get(memoKey);
      if (seen !== undefined) {
        for (let i = 0; i < n; i++) b.byte(0x30); // POP
        return this.get(seen);
      }
      b.byte(0x84 + n); // TUPLE1..3
      this.put(memoKey);
      return;
    }
    this.mark();
    for (const item of t) this.save(item, depth);
    const seen = this.memo.get(memoKey);
    if (seen !== undefined) {
      if (this.proto >= 1) b.byte(0x31); // POP_MARK
      else for (let i = 0; i <= n; i++) b.byte(0x30);
      return this.get(seen);
    }
    b.byte(0x74); // TUPLE
    this.put(memoKey);
  }

  /** A fresh tuple of `items` (not shared, so not memoized). */
  private argTuple(items: PyValue[], depth: number): void {
    this.tuple(items, depth, {});
  }

  private list(v: PyValue[], depth: number): void {
    if (this.proto >= 1) this.buf.byte(0x5d);
    else this.buf.text("(l");
    this.put(v);
    this.appends(v, depth);
  }

  private appends(items: PyValue[], depth: number): void {
    const b = this.buf;
    if (this.proto === 0) {
      for (const item of items) {
        this.save(item, depth);
        b.byte(0x61);
      }
      return;
    }
    for (let i = 0; i < items.length; i += BATCH) {
      const batch = items.slice(i, i + BATCH);
      if (batch.length === 1) {
        this.save(batch[0], depth);
        b.byte(0x61); // APPEND
      } else {
        this.mark();
        for (const item of batch) this.save(item, depth);
        b.byte(0x65); // APPENDS
      }
    }
  }

  private dict(
    entries: [PyValue, PyValue][],
    key: object,
    depth: number,
  ): void {
    if (this.proto >= 1) this.buf.byte(0x7d);
    else this.buf.text("(d");
    this.put(key);
    this.setItems(entries, depth);
  }

  private setItems(items: [PyValue, PyValue][], depth: number): void {
    const b = this.buf;
    if (this.proto === 0) {
      for (const [k, v] of items) {
        this.save(k, depth);
        this.save(v, depth);
        b.byte(0x73);
      }
      return;
    }
    for (let i = 0; i < items.length; i += BATCH) {
      const batch = items.slice(i, i + BATCH);
      if (batch.length === 1) {
        this.save(batch[0][0], depth);
        this.save(batch[0][1], depth);
        b.byte(0x73); // SETITEM
      } else {
        this.mark();
        for (const [k, v] of batch) {
          this.save(k, depth);
          this.save(v, depth);
        }
        b.byte(0x75); // SETITEMS
      }
    }
  }

  private set(v: Set<PyValue>, depth: number): void {
    const b = this.buf;
    const frozen = v instanceof PyFrozenSet;
    const items = [...v];
    if (this.proto < 4) {
      this.global("builtins", frozen ? "frozenset" : "set");
      this.argTuple([items], depth);
      b.byte(0x52);
      this.put(v);
      return;
    }
    if (frozen) {
      this.mark();
      for (const item of items) this.save(item, depth);
      const seen = this.memo.get(v);
      if (seen !== undefined) {
        b.byte(0x31);
        return this.get(seen);
      }
      b.byte(0x91); // FROZENSET
      this.put(v);
      return;
    }
    b.byte(0x8f); // EMPTY_SET
    this.put(v);
    for (let i = 0; i < items.length; i += BATCH) {
      this.mark();
      for (const item of items.slice(i, i + BATCH)) this.save(item, depth);
      b.byte(0x90); // ADDITEMS
    }
  }

  private global(module: string, name: string, key?: object): void {
    const b = this.buf;
    if (this.proto >= 4) {
      this.str(module);
      this.str(name);
      b.byte(0x93); // STACK_GLOBAL
    } else {
      if (this.proto < 3) {
        const mapped = REVERSE_NAMES[`${module}.${name}`];
        if (mapped) [module, name] = mapped;
        else if (Object.hasOwn(REVERSE_MODULES, module)) {
          module = REVERSE_MODULES[module];
        }
      }
      if (/\n/.test(module + name)) {
        throw new TypeError(
          `pickle: global name ${module}.${name} has a newline`,
        );
      }
      b.byte(0x63);
      b.raw(encodeUtf8(`${module}\n${name}\n`));
    }
    if (key) this.put(key);
  }

  private object(o: PyObject, depth: number): void {
    const b = this.buf;
    const hasCallable = o.callable !== undefined && o.module === "" &&
      o.name === "";
    const func = (): void => {
      if (hasCallable) this.save(o.callable!, depth);
      else this.global(o.module, o.name);
    };
    if (o.newobj) {
      if (this.proto >= 2) {
        func();
        this.argTuple([...o.args], depth);
        if (o.kwargs !== undefined && o.kwargs !== null) {
          if (this.proto < 4) {
            throw new TypeError(
              `pickle: ${o.module}.${o.name} has keyword arguments, which need protocol 4`,
            );
          }
          this.save(o.kwargs, depth);
          b.byte(0x92); // NEWOBJ_EX
        } else b.byte(0x81); // NEWOBJ
      } else {
        if (o.kwargs !== undefined && o.kwargs !== null) {
          throw new TypeError(
            `pickle: ${o.module}.${o.name} has keyword arguments, which need protocol 4`,
          );
        }
        this.global("copyreg", "__newobj__");
        this.mark();
        func();
        for (const a of o.args) this.save(a, depth);
        b.byte(0x74);
        b.byte(0x52);
      }
    } else {
      if (o.kwargs !== undefined && o.kwargs !== null) {
        throw new TypeError(
          `pickle: ${o.module}.${o.name} has keyword arguments but is not a NEWOBJ`,
        );
      }
      func();
      this.argTuple([...o.args], depth);
      b.byte(0x52); // REDUCE
    }
    this.put(o);
    if (o.listItems) this.appends(o.listItems, depth);
    if (o.dictItems) this.setItems(o.dictItems, depth);
    if (o.state !== undefined) {
      this.save(o.state, depth);
      b.byte(0x62); // BUILD
    }
  }

  private dtype(dt: NumpyDType, depth: number): void {
    this.global("numpy", "dtype");
    this.argTuple([dt.descr, false, true], depth);
    this.buf.byte(0x52);
    this.put(dt);
    const state = dt.state ??
      tuple(3, dt.byteorder, null, null, null, -1, -1, 0);
    this.save(state, depth);
    this.buf.byte(0x62);
  }

  private ndarray(t: Tensor, depth: number): void {
    const code = DTYPE_CODES[t.dtype];
    if (!code) {
      throw new TypeError(`pickle: numpy has no ${t.dtype} dtype`);
    }
    let count = 1;
    for (const d of t.shape) count *= d;
    const lanes = t.dtype.startsWith("complex") ? 2 : 1;
    if (t.data.length !== count * lanes) {
      throw new TypeError(
        `pickle: a tensor of shape [${t.shape}] needs ${
          count * lanes
        } elements, its data has ${t.data.length}`,
      );
    }
    const size = ITEM_SIZE[t.dtype];
    let raw = new Uint8Array(t.data.buffer, t.data.byteOffset, count * size);
    if (t.dtype === "bool") raw = raw.map((x) => (x ? 1 : 0));
    this.global("numpy.core.multiarray", "_reconstruct");
    this.argTuple([
      new PyGlobal("numpy", "ndarray"),
      tuple(0),
      new Uint8Array([0x62]),
    ], depth);
    this.buf.byte(0x52);
    this.put(t);
    const byteorder = size === 1 ? "|" : "<";
    const shape = tuple(...t.shape);
    this.argTuple([
      1,
      shape,
      new NumpyDType(code, byteorder),
      false,
      raw.slice(),
    ], depth);
    this.buf.byte(0x62);
  }
}

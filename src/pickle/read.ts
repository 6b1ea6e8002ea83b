/**
 * A pickle reader for protocols 0 to 5 that never runs code: classes and
 * functions become {@link PyGlobal}s, calls become inert {@link PyObject}s,
 * and a short list of well-known reconstructions (sets, bytes, OrderedDict,
 * numpy arrays, scalars and dtypes) are decoded to plain values.
 *
 * @module
 */

import type { DType, Tensor } from "../tensor.ts";
import { dillType } from "./dill.ts";
import {
  type DictClass,
  ITEM_SIZE,
  markDictClass,
  NumpyDType,
  PyByteArray,
  PyComplex,
  PyFloat,
  PyFrozenSet,
  PyGlobal,
  PyObject,
  PyTuple,
  type PyValue,
  tuple,
  typedArrayOf,
} from "./values.ts";

/**
 * A malformed or unsupported pickle. `offset` is the byte offset of the
 * opcode that failed and `opcode` its name (or `undefined` past the end).
 */
export class PickleError extends SyntaxError {
  /** Byte offset of the failing opcode. */
  readonly offset: number;
  /** Name of the failing opcode, e.g. `BINUNICODE`. */
  readonly opcode?: string;
  /** Makes an error for the opcode at `offset`. */
  constructor(message: string, offset: number, opcode?: string) {
    super(
      `pickle: ${message} (at byte ${offset}${
        opcode ? `, opcode ${opcode}` : ""
      })`,
    );
    this.name = "PickleError";
    this.offset = offset;
    this.opcode = opcode;
  }
}

/** Options of {@link unpickle}. */
export interface UnpickleOptions {
  /**
   * Resolves a persistent id (PERSID/BINPERSID), as Python's
   * `Unpickler.persistent_load`. Without it such a pickle is refused. The
   * id is given as decoded so far (dicts inside it are `Map`s).
   */
  persistentLoad?: (pid: PyValue) => unknown;
  /**
   * Safe reconstructions for calls to `module.name` (REDUCE), keyed
   * `"module.name"`, tried before the built-in ones. Arguments are given as
   * decoded so far (dicts are `Map`s). Return `undefined` to fall back.
   */
  reducers?: Record<string, (args: PyValue[]) => unknown>;
  /** Out-of-band buffers for protocol 5's NEXT_BUFFER, in order. */
  buffers?: Iterable<Uint8Array>;
  /**
   * How protocol 0-2 `str` objects of Python 2 (STRING, BINSTRING) decode:
   * `"latin1"` (the default: a string, one char per byte) or `"bytes"`.
   */
  encoding?: "latin1" | "bytes";
  /** Deepest container nesting accepted (default 1000). */
  maxDepth?: number;
  /** Most memo entries accepted (default 1,000,000). */
  maxMemo?: number;
  /**
   * Keep what a JS number cannot say (default false): an integral Python
   * `float` becomes a {@link PyFloat} (so that it prints `2.0`, as Python
   * does), and a numpy float scalar a 0-d `Tensor` of its dtype (so that
   * `np.float32(0.1)` prints `0.1`).
   */
  exactNumbers?: boolean;
}

/** A `dict` while decoding; converted when the pickle is complete. */
class DictDraft extends Map<unknown, unknown> {
  /** The dict subclass it was made as (OrderedDict, defaultdict, Counter). */
  cls?: DictClass;
}

/** An array made by `numpy.core.multiarray._reconstruct`, waiting for its BUILD. */
class NdarrayDraft {
  tensor?: Tensor;
  object: PyObject;
  constructor(object: PyObject) {
    this.object = object;
  }
}

const OP_NAMES: Record<number, string> = {};
const opcodes: [string, string | number][] = [
  ["MARK", "("],
  ["STOP", "."],
  ["POP", "0"],
  ["POP_MARK", "1"],
  ["DUP", "2"],
  ["FLOAT", "F"],
  ["INT", "I"],
  ["BININT", "J"],
  ["BININT1", "K"],
  ["LONG", "L"],
  ["BININT2", "M"],
  ["NONE", "N"],
  ["PERSID", "P"],
  ["BINPERSID", "Q"],
  ["REDUCE", "R"],
  ["STRING", "S"],
  ["BINSTRING", "T"],
  ["SHORT_BINSTRING", "U"],
  ["UNICODE", "V"],
  ["BINUNICODE", "X"],
  ["APPEND", "a"],
  ["BUILD", "b"],
  ["GLOBAL", "c"],
  ["DICT", "d"],
  ["EMPTY_DICT", "}"],
  ["APPENDS", "e"],
  ["GET", "g"],
  ["BINGET", "h"],
  ["INST", "i"],
  ["LONG_BINGET", "j"],
  ["LIST", "l"],
  ["EMPTY_LIST", "]"],
  ["OBJ", "o"],
  ["PUT", "p"],
  ["BINPUT", "q"],
  ["LONG_BINPUT", "r"],
  ["SETITEM", "s"],
  ["TUPLE", "t"],
  ["EMPTY_TUPLE", ")"],
  ["SETITEMS", "u"],
  ["BINFLOAT", "G"],
  ["PROTO", 0x80],
  ["NEWOBJ", 0x81],
  ["EXT1", 0x82],
  ["EXT2", 0x83],
  ["EXT4", 0x84],
  ["TUPLE1", 0x85],
  ["TUPLE2", 0x86],
  ["TUPLE3", 0x87],
  ["NEWTRUE", 0x88],
  ["NEWFALSE", 0x89],
  ["LONG1", 0x8a],
  ["LONG4", 0x8b],
  ["BINBYTES", "B"],
  ["SHORT_BINBYTES", "C"],
  ["SHORT_BINUNICODE", 0x8c],
  ["BINUNICODE8", 0x8d],
  ["BINBYTES8", 0x8e],
  ["EMPTY_SET", 0x8f],
  ["ADDITEMS", 0x90],
  ["FROZENSET", 0x91],
  ["NEWOBJ_EX", 0x92],
  ["STACK_GLOBAL", 0x93],
  ["MEMOIZE", 0x94],
  ["FRAME", 0x95],
  ["BYTEARRAY8", 0x96],
  ["NEXT_BUFFER", 0x97],
  ["READONLY_BUFFER", 0x98],
];
for (const [name, code] of opcodes) {
  OP_NAMES[typeof code === "number" ? code : code.charCodeAt(0)] = name;
}

/** Python 2 names that Python 3's unpickler maps (the ones pickles use). */
const MODULE_MAP: Record<string, string> = {
  __builtin__: "builtins",
  copy_reg: "copyreg",
  Queue: "queue",
  cPickle: "pickle",
  UserDict: "collections",
  UserList: "collections",
  UserString: "collections",
};
const NAME_MAP: Record<string, [string, string]> = {
  "__builtin__.unicode": ["builtins", "str"],
  "__builtin__.long": ["builtins", "int"],
  "__builtin__.basestring": ["builtins", "str"],
  "__builtin__.xrange": ["builtins", "range"],
  "__builtin__.unichr": ["builtins", "chr"],
  "__builtin__.reduce": ["functools", "reduce"],
  "__builtin__.intern": ["sys", "intern"],
  "UserDict.UserDict": ["collections", "UserDict"],
  "UserList.UserList": ["collections", "UserList"],
  "UserString.UserString": ["collections", "UserString"],
};

const utf8 = new TextDecoder("utf-8", { fatal: true });
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** An int as the value model has it: number when safe, else bigint. */
function normInt(n: bigint): number | bigint {
  return n <= MAX_SAFE && n >= -MAX_SAFE ? Number(n) : n;
}

/** Decodes UTF-8 like Python's `surrogatepass`: lone surrogates are allowed. */
function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    // Fall back to a decoder that accepts encoded surrogates (ED A0..BF xx).
  }
  let out = "";
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    let cp: number;
    let need: number;
    if (b < 0x80) {
      cp = b;
      need = 0;
    } else if (b >= 0xc2 && b < 0xe0) {
      cp = b & 0x1f;
      need = 1;
    } else if (b >= 0xe0 && b < 0xf0) {
      cp = b & 0x0f;
      need = 2;
    } else if (b >= 0xf0 && b < 0xf5) {
      cp = b & 0x07;
      need = 3;
    } else return null;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return null;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (
      (need === 2 && cp < 0x800) ||
      (need === 3 && (cp < 0x10000 || cp > 0x10ffff))
    ) return null;
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

const FLOAT_RE =
  /^[+-]?(?:(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?|inf|infinity|nan)$/i;
const INT_RE = /^[+-]?\d+$/;

/**
 * Decodes a pickle (protocols 0 to 5) without running any code.
 *
 * Throws {@link PickleError} for malformed input, for persistent ids without
 * a `persistentLoad` option, for extension codes, and when a limit is passed.
 *
 * @example
 * ```ts
 * import { unpickle } from "./read.ts";
 * const bytes = new TextEncoder().encode("(dp0\nVname\np1\nVmetadata\np2\ns.");
 * const value = unpickle(bytes) as Record<string, unknown>;
 * if (!(value.name === "metadata")) throw new Error("example failed");
 * ```
 */
export function unpickle(
  bytes: Uint8Array,
  options: UnpickleOptions = {},
): PyValue {
  return new Reader(bytes, options).run();
}

/**
 * Decodes the pickle that starts at byte `offset` of `bytes` (files such as
 * torch's legacy format hold several in a row); returns it and the offset
 * just past its STOP.
 */
export function unpickleAt(
  bytes: Uint8Array,
  offset: number,
  options: UnpickleOptions = {},
): { value: PyValue; end: number } {
  const reader = new Reader(bytes, options);
  reader.pos = offset;
  const value = reader.run();
  return { value, end: reader.pos };
}

class Reader {
  pos = 0;
  private start = 0;
  private op = 0;
  private proto = 0;
  private stack: unknown[] = [];
  private marks: unknown[][] = [];
  private memo = new Map<number, unknown>();
  private buffers?: Iterator<Uint8Array>;
  private readonly maxMemo: number;
  private readonly maxDepth: number;
  private readonly view: DataView;

  constructor(
    private readonly data: Uint8Array,
    private readonly options: UnpickleOptions,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.maxMemo = options.maxMemo ?? 1_000_000;
    this.maxDepth = options.maxDepth ?? 1000;
    if (options.buffers) this.buffers = options.buffers[Symbol.iterator]();
  }

  private fail(message: string): never {
    throw new PickleError(message, this.start, OP_NAMES[this.op]);
  }

  private need(n: number): void {
    if (!(n >= 0) || n > this.data.length - this.pos) {
      this.fail(
        `needs ${n} bytes but only ${this.data.length - this.pos} remain`,
      );
    }
  }

  private take(n: number): Uint8Array {
    this.need(n);
    const out = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private u8(): number {
    this.need(1);
    return this.data[this.pos++];
  }

  private u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  private u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  private i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  private u64(): number {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(this.data.length)) {
      this.fail(`length ${v} exceeds the ${this.data.length}-byte input`);
    }
    return Number(v);
  }

  /** A line without its "\n", as bytes. */
  private lineBytes(): Uint8Array {
    const end = this.data.indexOf(10, this.pos);
    if (end < 0) this.fail("line has no terminating newline");
    const out = this.data.subarray(this.pos, end);
    this.pos = end + 1;
    return out;
  }

  private asciiLine(): string {
    const b = this.lineBytes();
    for (const c of b) {
      if (c >= 0x80) this.fail("non-ASCII byte in a text opcode");
    }
    return latin1(b);
  }

  private utf8Line(): string {
    const s = decodeUtf8(this.lineBytes());
    if (s === null) this.fail("invalid UTF-8 in a name");
    return s;
  }

  private push(v: unknown): void {
    this.stack.push(v);
  }

  private pop(): unknown {
    if (this.stack.length === 0) {
      this.fail("stack underflow");
    }
    return this.stack.pop();
  }

  private top(): unknown {
    if (this.stack.length === 0) this.fail("stack underflow");
    return this.stack[this.stack.length - 1];
  }

  private popMark(): unknown[] {
    const items = this.stack;
    const prev = this.marks.pop();
    if (prev === undefined) this.fail("no MARK on the stack");
    this.stack = prev;
    return items;
  }

  private memoPut(index: number): void {
    if (this.stack.length === 0) this.fail("stack underflow");
    if (!this.memo.has(index) && this.memo.size >= this.maxMemo) {
      this.fail(`memo exceeds ${this.maxMemo} entries`);
    }
    this.memo.set(index, this.stack[this.stack.length - 1]);
  }

  private memoGet(index: number): void {
    if (!this.memo.has(index)) this.fail(`memo key ${index} was never stored`);
    this.push(this.memo.get(index));
  }

  /** A Python float: a number, or a PyFloat when integral and `exactNumbers` asks. */
  private float(x: number): number | PyFloat {
    return this.options.exactNumbers && Number.isInteger(x)
      ? new PyFloat(x)
      : x;
  }

  private str(bytes: Uint8Array): string {
    const s = decodeUtf8(bytes);
    if (s === null) this.fail("invalid UTF-8 in a str");
    return s;
  }

  private py2str(bytes: Uint8Array): unknown {
    return this.options.encoding === "bytes" ? bytes.slice() : latin1(bytes);
  }

  private global(module: string, name: string): PyGlobal {
    if (this.proto < 3) {
      const mapped = NAME_MAP[`${module}.${name}`];
      if (mapped) return new PyGlobal(mapped[0], mapped[1]);
      if (Object.hasOwn(MODULE_MAP, module)) module = MODULE_MAP[module];
    }
    return new PyGlobal(module, name);
  }

  run(): PyValue {
    const d = this.data;
    for (;;) {
      this.start = this.pos;
      if (this.pos >= d.length) {
        this.op = -1;
        this.fail("pickle ends before STOP");
      }
      const op = d[this.pos++];
      this.op = op;
      switch (op) {
        case 0x80: { // PROTO
          const v = this.u8();
          if (v > 5) this.fail(`unsupported protocol ${v}`);
          this.proto = v;
          break;
        }
        case 0x95: // FRAME
          this.u64();
          break;
        case 0x2e: { // STOP
          const result = this.pop();
          return finish(result, this.maxDepth, this.start);
        }
        case 0x28: // MARK
          this.marks.push(this.stack);
          this.stack = [];
          break;
        case 0x30: // POP
          if (this.stack.length) this.stack.pop();
          else this.popMark();
          break;
        case 0x31: // POP_MARK
          this.popMark();
          break;
        case 0x32: // DUP
          this.push(this.top());
          break;
        // ---- numbers
        case 0x4e: // NONE
          this.push(null);
          break;
        case 0x88: // NEWTRUE
          this.push(true);
          break;
        case 0x89: // NEWFALSE
          this.push(false);
          break;
        case 0x49: { // INT
          const s = this.asciiLine();
          if (s === "01") this.push(true);
          else if (s === "00") this.push(false);
          else this.push(this.parseInt(s));
          break;
        }
        case 0x4c: { // LONG
          let s = this.asciiLine();
          if (s.endsWith("L")) s = s.slice(0, -1);
          this.push(this.parseInt(s));
          break;
        }
        case 0x4a: // BININT
          this.push(this.i32());
          break;
        case 0x4b: // BININT1
          this.push(this.u8());
          break;
        case 0x4d: // BININT2
          this.push(this.u16());
          break;
        case 0x8a: // LONG1
          this.push(this.long(this.u8()));
          break;
        case 0x8b: { // LONG4
          const n = this.i32();
          if (n < 0) this.fail("negative length");
          this.push(this.long(n));
          break;
        }
        case 0x46: { // FLOAT
          const s = this.asciiLine().trim();
          if (!FLOAT_RE.test(s) || /(^|[^\d])_|_($|[^\d])/.test(s)) {
            this.fail(`not a float: ${JSON.stringify(s.slice(0, 40))}`);
          }
          const t = s.replace(/_/g, "").toLowerCase();
          const sign = t.startsWith("-") ? -1 : 1;
          const u = t.replace(/^[+-]/, "");
          this.push(this.float(
            u === "nan"
              ? NaN
              : u === "inf" || u === "infinity"
              ? sign * Infinity
              : Number(t),
          ));
          break;
        }
        case 0x47: { // BINFLOAT
          this.need(8);
          this.push(this.float(this.view.getFloat64(this.pos, false)));
          this.pos += 8;
          break;
        }
        // ---- strings and bytes
        case 0x53: { // STRING
          this.push(this.py2str(this.quoted(this.lineBytes())));
          break;
        }
        case 0x54: { // BINSTRING
          const n = this.i32();
          if (n < 0) this.fail("negative length");
          this.push(this.py2str(this.take(n)));
          break;
        }
        case 0x55: // SHORT_BINSTRING
          this.push(this.py2str(this.take(this.u8())));
          break;
        case 0x56: // UNICODE
          this.push(this.rawUnicodeEscape(this.lineBytes()));
          break;
        case 0x58: // BINUNICODE
          this.push(this.str(this.take(this.u32())));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.push(this.str(this.take(this.u8())));
          break;
        case 0x8d: // BINUNICODE8
          this.push(this.str(this.take(this.u64())));
          break;
        case 0x42: // BINBYTES
          this.push(this.take(this.u32()).slice());
          break;
        case 0x43: // SHORT_BINBYTES
          this.push(this.take(this.u8()).slice());
          break;
        case 0x8e: // BINBYTES8
          this.push(this.take(this.u64()).slice());
          break;
        case 0x96: // BYTEARRAY8
          this.push(new PyByteArray(this.take(this.u64())));
          break;
        case 0x97: { // NEXT_BUFFER
          const next = this.buffers?.next();
          if (!next || next.done) {
            this.fail("out-of-band buffer requested but none was provided");
          }
          if (!(next.value instanceof Uint8Array)) {
            this.fail("out-of-band buffers must be Uint8Arrays");
          }
          this.push(next.value);
          break;
        }
        case 0x98: // READONLY_BUFFER
          this.top();
          break;
        // ---- containers
        case 0x29: // EMPTY_TUPLE
          this.push(new PyTuple());
          break;
        case 0x85: // TUPLE1
          this.push(tuple(this.pop() as PyValue));
          break;
        case 0x86: { // TUPLE2
          const b = this.pop(), a = this.pop();
          this.push(tuple(a as PyValue, b as PyValue));
          break;
        }
        case 0x87: { // TUPLE3
          const c = this.pop(), b = this.pop(), a = this.pop();
          this.push(tuple(a as PyValue, b as PyValue, c as PyValue));
          break;
        }
        case 0x74: // TUPLE
          this.push(tuple(...this.popMark() as PyValue[]));
          break;
        case 0x5d: // EMPTY_LIST
          this.push([]);
          break;
        case 0x6c: // LIST
          this.push(this.popMark());
          break;
        case 0x7d: // EMPTY_DICT
          this.push(new DictDraft());
          break;
        case 0x64: { // DICT
          const items = this.popMark();
          if (items.length % 2) this.fail("odd number of items for a dict");
          const dict = new DictDraft();
          for (let i = 0; i < items.length; i += 2) {
            dict.set(items[i], items[i + 1]);
          }
          this.push(dict);
          break;
        }
        case 0x8f: // EMPTY_SET
          this.push(new Set());
          break;
        case 0x91: // FROZENSET
          this.push(new PyFrozenSet(this.popMark() as PyValue[]));
          break;
        case 0x61: { // APPEND
          const v = this.pop();
          this.append(this.top(), [v]);
          break;
        }
        case 0x65: { // APPENDS
          const items = this.popMark();
          this.append(this.top(), items);
          break;
        }
        case 0x73: { // SETITEM
          const v = this.pop(), k = this.pop();
          this.setItems(this.top(), [k, v]);
          break;
        }
        case 0x75: { // SETITEMS
          const items = this.popMark();
          if (items.length % 2) this.fail("odd number of items for SETITEMS");
          this.setItems(this.top(), items);
          break;
        }
        case 0x90: { // ADDITEMS
          const items = this.popMark();
          const target = this.top();
          if (!(target instanceof Set) || target instanceof PyFrozenSet) {
            this.fail("ADDITEMS on something other than a set");
          }
          for (const item of items) target.add(item);
          break;
        }
        // ---- memo
        case 0x70: { // PUT
          const s = this.asciiLine();
          if (!INT_RE.test(s) || s.length > 15) this.fail("bad memo key");
          this.memoPut(Number(s));
          break;
        }
        case 0x71: // BINPUT
          this.memoPut(this.u8());
          break;
        case 0x72: // LONG_BINPUT
          this.memoPut(this.u32());
          break;
        case 0x94: // MEMOIZE
          this.memoPut(this.memo.size);
          break;
        case 0x67: { // GET
          const s = this.asciiLine();
          if (!INT_RE.test(s) || s.length > 15) this.fail("bad memo key");
          this.memoGet(Number(s));
          break;
        }
        case 0x68: // BINGET
          this.memoGet(this.u8());
          break;
        case 0x6a: // LONG_BINGET
          this.memoGet(this.u32());
          break;
        // ---- objects
        case 0x63: { // GLOBAL
          const module = this.utf8Line();
          const name = this.utf8Line();
          this.push(this.global(module, name));
          break;
        }
        case 0x93: { // STACK_GLOBAL
          const name = this.pop(), module = this.pop();
          if (typeof name !== "string" || typeof module !== "string") {
            this.fail("STACK_GLOBAL needs two strings");
          }
          this.push(this.global(module, name));
          break;
        }
        case 0x52: { // REDUCE
          const args = this.pop(), callable = this.pop();
          if (!(args instanceof PyTuple)) {
            this.fail("REDUCE arguments are not a tuple");
          }
          this.push(this.call(callable, args));
          break;
        }
        case 0x81: { // NEWOBJ
          const args = this.pop(), cls = this.pop();
          if (!(args instanceof PyTuple)) {
            this.fail("NEWOBJ arguments are not a tuple");
          }
          this.push(this.newObj(cls, args));
          break;
        }
        case 0x92: { // NEWOBJ_EX
          const kwargs = this.pop(), args = this.pop(), cls = this.pop();
          if (!(args instanceof PyTuple)) {
            this.fail("NEWOBJ_EX arguments are not a tuple");
          }
          if (!(kwargs instanceof DictDraft)) {
            this.fail("NEWOBJ_EX keywords are not a dict");
          }
          const obj = this.newObj(cls, args);
          if (kwargs.size && obj instanceof PyObject) {
            obj.kwargs = kwargs as unknown as PyValue;
          }
          this.push(obj);
          break;
        }
        case 0x69: { // INST
          const module = this.utf8Line();
          const name = this.utf8Line();
          const args = this.popMark();
          this.push(
            this.call(this.global(module, name), tuple(...args as PyValue[])),
          );
          break;
        }
        case 0x6f: { // OBJ
          const items = this.popMark();
          if (items.length === 0) this.fail("OBJ without a class");
          this.push(this.call(items[0], tuple(...items.slice(1) as PyValue[])));
          break;
        }
        case 0x62: { // BUILD
          const state = this.pop();
          this.build(this.top(), state);
          break;
        }
        case 0x50: { // PERSID
          this.push(this.persistent(this.asciiLine()));
          break;
        }
        case 0x51: // BINPERSID
          this.push(this.persistent(this.pop()));
          break;
        case 0x82:
        case 0x83:
        case 0x84:
          this.fail(
            "extension codes (copyreg.add_extension) are not supported",
          );
          break;
        default:
          this.fail(`unknown opcode 0x${op.toString(16).padStart(2, "0")}`);
      }
    }
  }

  private parseInt(s: string): number | bigint {
    if (!INT_RE.test(s)) {
      this.fail(`not an int: ${JSON.stringify(s.slice(0, 40))}`);
    }
    if (s.length > 10000) this.fail("int literal longer than 10000 digits");
    return normInt(BigInt(s));
  }

  private long(n: number): number | bigint {
    const b = this.take(n);
    if (n === 0) return 0;
    if (n <= 6) {
      let v = 0;
      for (let i = n - 1; i >= 0; i--) v = v * 256 + b[i];
      if (b[n - 1] & 0x80) v -= 2 ** (8 * n);
      return v;
    }
    let hex = "";
    for (let i = n - 1; i >= 0; i--) hex += b[i].toString(16).padStart(2, "0");
    let v = BigInt("0x" + hex);
    if (b[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    return normInt(v);
  }

  /** Python's repr of a str (Python 2) between quotes, unescaped to bytes. */
  private quoted(line: Uint8Array): Uint8Array {
    let end = line.length;
    while (end > 0 && (line[end - 1] === 13 || line[end - 1] === 32)) end--;
    const q = line[0];
    if (end < 2 || (q !== 0x27 && q !== 0x22) || line[end - 1] !== q) {
      this.fail("STRING is not quoted");
    }
    const body = line.subarray(1, end - 1);
    const out: number[] = [];
    for (let i = 0; i < body.length; i++) {
      const c = body[i];
      if (c !== 0x5c) {
        out.push(c);
        continue;
      }
      const e = body[++i];
      switch (e) {
        case 0x6e: // n
          out.push(10);
          break;
        case 0x74: // t
          out.push(9);
          break;
        case 0x72: // r
          out.push(13);
          break;
        case 0x61: // a
          out.push(7);
          break;
        case 0x62: // b
          out.push(8);
          break;
        case 0x66: // f
          out.push(12);
          break;
        case 0x76: // v
          out.push(11);
          break;
        case 0x5c:
        case 0x27:
        case 0x22:
          out.push(e);
          break;
        case 0x0a: // line continuation
          break;
        case 0x78: { // x
          if (!isHex(body[i + 1]) || !isHex(body[i + 2])) {
            this.fail("bad \\x escape");
          }
          out.push(parseInt(String.fromCharCode(body[i + 1], body[i + 2]), 16));
          i += 2;
          break;
        }
        case undefined:
          this.fail("trailing backslash in STRING");
          break;
        default:
          if (e >= 0x30 && e <= 0x37) {
            let v = e - 0x30;
            for (
              let k = 0;
              k < 2 && body[i + 1] >= 0x30 && body[i + 1] <= 0x37;
              k++
            ) {
              v = v * 8 + body[++i] - 0x30;
            }
            out.push(v & 0xff);
          } else {
            out.push(0x5c, e);
          }
      }
    }
    return new Uint8Array(out);
  }

  /** Python's `raw-unicode-escape` decoding (UNICODE's payload). */
  private rawUnicodeEscape(b: Uint8Array): string {
    let out = "";
    let run = 0;
    for (let i = 0; i < b.length; i++) {
      const c = b[i];
      if (c !== 0x5c || i + 1 >= b.length) {
        continue;
      }
      const e = b[i + 1];
      if (e !== 0x75 && e !== 0x55) {
        i++; // "\\" followed by anything else: both kept
        continue;
      }
      const count = e === 0x75 ? 4 : 8;
      if (i + 2 + count > b.length) this.fail("truncated \\uXXXX escape");
      let cp = 0;
      for (let k = 0; k < count; k++) {
        const h = b[i + 2 + k];
        if (!isHex(h)) this.fail("truncated \\uXXXX escape");
        cp = cp * 16 + parseInt(String.fromCharCode(h), 16);
      }
      if (cp > 0x10ffff) this.fail("\\U escape past U+10FFFF");
      out += latin1(b.subarray(run, i));
      out += cp > 0xffff ? String.fromCodePoint(cp) : String.fromCharCode(cp);
      i += 1 + count;
      run = i + 1;
    }
    return out + latin1(b.subarray(run));
  }

  private persistent(pid: unknown): unknown {
    const load = this.options.persistentLoad;
    if (!load) {
      this.fail("persistent id found but no persistentLoad option was given");
    }
    return load(pid as PyValue);
  }

  private append(target: unknown, items: unknown[]): void {
    if (Array.isArray(target) && !(target instanceof PyTuple)) {
      for (const item of items) target.push(item);
    } else if (target instanceof PyObject) {
      (target.listItems ??= []).push(...items as PyValue[]);
    } else {
      this.fail("APPEND to something other than a list");
    }
  }

  private setItems(target: unknown, items: unknown[]): void {
    if (target instanceof DictDraft) {
      for (let i = 0; i < items.length; i += 2) {
        target.set(items[i], items[i + 1]);
      }
    } else if (target instanceof PyObject) {
      const list = target.dictItems ??= [];
      for (let i = 0; i < items.length; i += 2) {
        list.push([items[i] as PyValue, items[i + 1] as PyValue]);
      }
    } else {
      this.fail("SETITEM on something other than a dict");
    }
  }

  private build(target: unknown, state: unknown): void {
    if (target instanceof NdarrayDraft) {
      target.object.state = state as PyValue;
      target.tensor = this.ndarrayFromState(state);
    } else if (target instanceof NumpyDType) {
      if (state instanceof PyTuple && typeof state[1] === "string") {
        target.byteorder = state[1];
        if (state[3] !== null && state[3] !== undefined) target.state = state;
      } else target.state = state as PyValue;
    } else if (target instanceof PyObject) {
      target.state = state as PyValue;
    } else if (target instanceof DictDraft) {
      // attributes of a dict subclass (OrderedDict._metadata of torch state
      // dicts): not items, so not part of the value
    } else {
      this.fail("BUILD on a value that takes no state");
    }
  }

  private newObj(cls: unknown, args: PyTuple): unknown {
    if (!(cls instanceof PyGlobal)) {
      return new PyObject("", "", args, {
        newobj: true,
        callable: cls as PyValue,
      });
    }
    const known = this.known(cls, args);
    if (known !== undefined) return known;
    return new PyObject(cls.module, cls.name, args, { newobj: true });
  }

  private call(callable: unknown, args: PyTuple): unknown {
    if (!(callable instanceof PyGlobal)) {
      return new PyObject("", "", args, { callable: callable as PyValue });
    }
    const key = `${callable.module}.${callable.name}`;
    const custom = this.options.reducers;
    if (custom && Object.hasOwn(custom, key)) {
      const v = custom[key](args);
      if (v !== undefined) return v;
    }
    const known = this.known(callable, args);
    if (known !== undefined) return known;
    return new PyObject(callable.module, callable.name, args);
  }

  /** The well-known safe reconstructions; undefined when `g` is not one. */
  private known(g: PyGlobal, args: PyTuple): unknown {
    const key = `${g.module}.${g.name}`;
    switch (key) {
      case "collections.OrderedDict":
      case "builtins.dict": {
        const dict = new DictDraft();
        if (g.name === "OrderedDict") {
          dict.cls = { module: g.module, name: g.name };
        }
        if (args.length === 0) return dict;
        if (args.length === 1 && Array.isArray(args[0])) {
          for (const pair of args[0] as unknown[]) {
            if (!Array.isArray(pair) || pair.length !== 2) return undefined;
            dict.set(pair[0], pair[1]);
          }
          return dict;
        }
        return undefined;
      }
      case "collections.defaultdict": {
        // defaultdict(factory), its items set afterwards (SETITEMS)
        if (args.length > 1) return undefined;
        const dict = new DictDraft();
        dict.cls = {
          module: g.module,
          name: g.name,
          defaultFactory: (args[0] ?? null) as PyValue,
        };
        return dict;
      }
      case "collections.Counter": {
        const dict = new DictDraft();
        dict.cls = { module: g.module, name: g.name };
        if (args.length === 0) return dict;
        if (args.length === 1 && args[0] instanceof DictDraft) {
          for (const [k, v] of args[0]) dict.set(k, v);
          return dict;
        }
        return undefined;
      }
      case "builtins.complex": {
        const [re = 0, im = 0] = args.map((a) =>
          a instanceof PyFloat ? a.value : a
        );
        if (
          args.length > 2 || typeof re !== "number" || typeof im !== "number"
        ) {
          return undefined;
        }
        return new PyComplex(re, im);
      }
      case "builtins.set":
      case "builtins.frozenset": {
        const items = args.length === 0
          ? []
          : args.length === 1 && Array.isArray(args[0])
          ? args[0]
          : null;
        if (items === null) return undefined;
        return g.name === "set"
          ? new Set(items)
          : new PyFrozenSet(items as PyValue[]);
      }
      case "builtins.list":
        if (args.length === 0) return [];
        if (args.length === 1 && Array.isArray(args[0])) return [...args[0]];
        return undefined;
      case "builtins.tuple":
        if (args.length === 0) return new PyTuple();
        if (args.length === 1 && Array.isArray(args[0])) {
          return tuple(...args[0]);
        }
        return undefined;
      case "builtins.bytes":
      case "builtins.bytearray": {
        const bytes = this.bytesOf(args);
        if (bytes === undefined || g.name === "bytes") return bytes;
        return new PyByteArray(bytes);
      }
      case "_codecs.encode": {
        const [a, enc] = args;
        if (typeof a !== "string") return undefined;
        return encodeStr(a, args.length < 2 ? "utf-8" : enc) ?? undefined;
      }
      case "copyreg._reconstructor": {
        const [cls, base, state] = args;
        if (
          args.length === 3 && cls instanceof PyGlobal &&
          base instanceof PyGlobal &&
          base.module === "builtins" && base.name === "object" && state === null
        ) return new PyObject(cls.module, cls.name, [], { newobj: true });
        return undefined;
      }
      case "copyreg.__newobj__": {
        const [cls, ...rest] = args;
        if (!(cls instanceof PyGlobal)) return undefined;
        return this.newObj(cls, tuple(...rest));
      }
      case "numpy.dtype": {
        const [descr] = args;
        if (typeof descr !== "string") return undefined;
        return new NumpyDType(descr);
      }
      case "numpy.core.multiarray._reconstruct":
      case "numpy._core.multiarray._reconstruct":
        return new NdarrayDraft(new PyObject(g.module, g.name, args));
      case "dill._dill._load_type":
      case "dill.dill._load_type": {
        // a builtin type by name: the class itself, as a reference
        const type = args.length === 1 ? dillType(args[0]) : null;
        return type ? new PyGlobal(type[0], type[1]) : undefined;
      }
      case "dill._dill._create_array":
      case "dill.dill._create_array":
        return this.dillArray(g, args);
      case "numpy.core.multiarray.scalar":
      case "numpy._core.multiarray.scalar": {
        const [dt, raw] = args;
        if (!(dt instanceof NumpyDType) || args.length !== 2) return undefined;
        const bytes = typeof raw === "string" ? encodeStr(raw, "latin1") : raw;
        if (!(bytes instanceof Uint8Array)) return undefined;
        const t = this.tensor(dt, [], bytes, false);
        if (!t) return undefined;
        if (this.options.exactNumbers && t.dtype.startsWith("float")) return t;
        return scalarOf(t);
      }
      case "numpy.core.numeric._frombuffer":
      case "numpy._core.numeric._frombuffer": {
        const [buf, dt, shape, order] = args;
        if (!(buf instanceof Uint8Array) || !(dt instanceof NumpyDType)) {
          return undefined;
        }
        const dims = this.shape(shape);
        if (!dims) return undefined;
        return this.tensor(dt, dims, buf, order === "F") ??
          new PyObject(g.module, g.name, args);
      }
    }
    return undefined;
  }

  /** The bytes `bytes(*args)` makes, or undefined when not understood. */
  private bytesOf(args: PyTuple): Uint8Array | undefined {
    if (args.length === 0) return new Uint8Array(0);
    const [a, enc] = args;
    if (args.length === 1 && a instanceof Uint8Array) return a.slice();
    if (args.length === 1 && Array.isArray(a)) {
      if (
        !a.every((x) =>
          Number.isInteger(x) && (x as number) >= 0 && (x as number) < 256
        )
      ) {
        return undefined;
      }
      return new Uint8Array(a as number[]);
    }
    if (
      args.length === 2 && typeof a === "string" && typeof enc === "string"
    ) {
      return encodeStr(a, enc) ?? undefined;
    }
    return undefined;
  }

  /**
   * `dill._dill._create_array(f, args, state, npdict)`: `f(*args)` then
   * `__setstate__(state)`, as numpy's own `_reconstruct` + BUILD. Only a
   * plain `numpy.ndarray` without instance attributes becomes a Tensor.
   */
  private dillArray(g: PyGlobal, args: PyTuple): unknown {
    const [f, fargs, state, npdict] = args;
    if (
      !(f instanceof PyGlobal) || !(fargs instanceof PyTuple) ||
      !(args.length === 3 || args.length === 4)
    ) return undefined;
    const made = this.call(f, fargs);
    if (!(made instanceof NdarrayDraft)) return undefined;
    const [cls] = fargs;
    const plain = cls instanceof PyGlobal && cls.module === "numpy" &&
      cls.name === "ndarray";
    const noDict = npdict === undefined || npdict === null ||
      (npdict instanceof DictDraft && npdict.size === 0);
    made.object.state = state as PyValue;
    if (plain && noDict) made.tensor = this.ndarrayFromState(state);
    if (made.tensor) return made;
    return new PyObject(g.module, g.name, args);
  }

  private shape(v: unknown): number[] | null {
    if (!Array.isArray(v)) return null;
    if (
      !v.every((d) => typeof d === "number" && Number.isInteger(d) && d >= 0)
    ) return null;
    return v as number[];
  }

  /** The array a numpy BUILD state `(version, shape, dtype, fortran, raw)` describes. */
  private ndarrayFromState(state: unknown): Tensor | undefined {
    if (!(state instanceof PyTuple) || state.length < 4) return undefined;
    const off = state.length === 5 ? 1 : 0;
    const shape = this.shape(state[off]);
    const dt = state[off + 1];
    const fortran = state[off + 2];
    let raw = state[off + 3];
    if (!shape || !(dt instanceof NumpyDType)) return undefined;
    if (typeof raw === "string") raw = encodeStr(raw, "latin1");
    if (!(raw instanceof Uint8Array)) return undefined; // object arrays keep their list
    return this.tensor(dt, shape, raw, fortran === true);
  }

  private tensor(
    dt: NumpyDType,
    shape: number[],
    raw: Uint8Array,
    fortran: boolean,
  ): Tensor | undefined {
    const dtype = dt.dtype;
    if (!dtype || dt.state !== undefined) return undefined;
    const size = ITEM_SIZE[dtype];
    let count = 1;
    for (const d of shape) count *= d;
    if (count * size !== raw.length) {
      this.fail(
        `numpy array of shape (${shape.join(", ")}) ${dtype} needs ${
          count * size
        } bytes, got ${raw.length}`,
      );
    }
    const buf = raw.slice().buffer;
    if (dt.byteorder === ">" && size > 1) {
      const unit = dtype.startsWith("complex") ? size / 2 : size;
      const u = new Uint8Array(buf);
      for (let i = 0; i < u.length; i += unit) {
        u.subarray(i, i + unit).reverse();
      }
    }
    let data = typedArrayOf(dtype, buf);
    if (fortran && shape.length > 1) data = fromFortran(data, shape, dtype);
    return { dtype, shape: [...shape], data } as Tensor;
  }
}

function encodeStr(s: string, encoding: unknown): Uint8Array | null {
  if (typeof encoding !== "string") return null;
  const enc = encoding.toLowerCase().replace(/_/g, "-");
  if (
    enc === "latin1" || enc === "latin-1" || enc === "iso-8859-1" ||
    enc === "l1"
  ) {
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 255) return null;
      out[i] = c;
    }
    return out;
  }
  if (enc === "utf-8" || enc === "utf8") return new TextEncoder().encode(s);
  return null;
}

/** Reorders column-major (Fortran) elements into row-major order. */
function fromFortran(
  src: Tensor["data"],
  shape: number[],
  dtype: DType,
): Tensor["data"] {
  const lanes = dtype.startsWith("complex") ? 2 : 1;
  const n = shape.length;
  const count = src.length / lanes;
  const dst = new (src.constructor as new (n: number) => Tensor["data"])(
    src.length,
  );
  // Fortran strides (in elements)
  const fstride: number[] = new Array(n);
  let s = 1;
  for (let i = 0; i < n; i++) {
    fstride[i] = s;
    s *= shape[i];
  }
  const idx = new Array(n).fill(0);
  for (let k = 0; k < count; k++) {
    let f = 0;
    for (let i = 0; i < n; i++) f += idx[i] * fstride[i];
    for (let l = 0; l < lanes; l++) {
      (dst as unknown as number[])[k * lanes + l] =
        (src as unknown as number[])[f * lanes + l];
    }
    for (let i = n - 1; i >= 0; i--) {
      if (++idx[i] < shape[i]) break;
      idx[i] = 0;
    }
  }
  return dst;
}

/** A numpy scalar as a JS value: number (bigint past 2**53), boolean, or a 0-d Tensor. */
function scalarOf(t: Tensor): unknown {
  switch (t.dtype) {
    case "bool":
      return t.data[0] !== 0;
    case "int64":
    case "uint64":
      return normInt(t.data[0] as bigint);
    case "float16":
      return halfToNumber(t.data[0] as number);
    case "complex64":
    case "complex128":
    case "bfloat16":
      return t;
    default:
      return t.data[0] as number;
  }
}

/** IEEE 754 half-precision bits to a number. */
export function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/**
 * Converts the decoding drafts into the value model, iteratively (no deep
 * recursion), keeping shared references and cycles.
 */
function finish(root: unknown, maxDepth: number, offset: number): PyValue {
  const done = new Map<object, unknown>();
  const work: [unknown, unknown, number][] = []; // [draft, target, depth]
  const convert = (v: unknown, depth: number): unknown => {
    if (typeof v !== "object" || v === null) return v;
    const hit = done.get(v);
    if (hit !== undefined) return hit;
    if (depth > maxDepth) {
      throw new PickleError(
        `containers nested deeper than ${maxDepth}`,
        offset,
        "STOP",
      );
    }
    let target: unknown;
    if (v instanceof DictDraft) {
      let allStr = true;
      for (const k of v.keys()) {
        if (typeof k !== "string") {
          allStr = false;
          break;
        }
      }
      target = allStr ? Object.create(null) : new Map();
      if (v.cls) markDictClass(target as object, v.cls);
    } else if (v instanceof NdarrayDraft) {
      target = v.tensor ?? v.object;
      done.set(v, target);
      if (v.tensor) return target;
      v = v.object;
    } else if (
      Array.isArray(v) || v instanceof Set || v instanceof PyObject ||
      v instanceof NumpyDType
    ) {
      target = v; // converted in place
    } else {
      return v; // leaves: Uint8Array, PyGlobal, Tensor, values of hooks
    }
    done.set(v as object, target);
    work.push([v, target, depth]);
    return target;
  };
  const result = convert(root, 0);
  while (work.length) {
    const [v, target, depth] = work.pop()!;
    const d = depth + 1;
    if (v instanceof DictDraft) {
      if (target instanceof Map) {
        for (const [k, x] of v) target.set(convert(k, d), convert(x, d));
      } else {
        const obj = target as Record<string, unknown>;
        for (const [k, x] of v) {
          Object.defineProperty(obj, k as string, {
            value: convert(x, d),
            writable: true,
            enumerable: true,
            configurable: true,
          });
        }
      }
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) v[i] = convert(v[i], d);
    } else if (v instanceof Set) {
      const items = [...v];
      v.clear();
      for (const item of items) v.add(convert(item, d));
    } else if (v instanceof PyObject) {
      convert(v.args, d);
      if (v.kwargs !== undefined) v.kwargs = convert(v.kwargs, d) as PyValue;
      if (v.state !== undefined) v.state = convert(v.state, d) as PyValue;
      if (v.callable !== undefined) {
        v.callable = convert(v.callable, d) as PyValue;
      }
      if (v.listItems) convert(v.listItems, d);
      if (v.dictItems) {
        for (const pair of v.dictItems) {
          pair[0] = convert(pair[0], d) as PyValue;
          pair[1] = convert(pair[1], d) as PyValue;
        }
      }
    } else if (v instanceof NumpyDType) {
      if (v.state !== undefined) v.state = convert(v.state, d) as PyValue;
    }
  }
  return result as PyValue;
}

/**
 * Converts values a hook received (drafts: dicts as `Map`s) into the value
 * model. Useful inside `reducers` and `persistentLoad`.
 */
export function settle(value: unknown): PyValue {
  return finish(value, Infinity, 0);
}

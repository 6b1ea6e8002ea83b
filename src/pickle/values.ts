/**
 * The values a pickle decodes to and encodes from.
 *
 * | Python | TypeScript |
 * | --- | --- |
 * | `None` | `null` |
 * | `bool` | `boolean` |
 * | `int` | `number` when `|n| <= 2**53 - 1`, else `bigint` |
 * | `float` | `number` (wrap in {@link pyFloat} to force a float when writing) |
 * | `str` | `string` |
 * | `complex` | {@link PyComplex} |
 * | `bytes` | `Uint8Array` |
 * | `bytearray` | {@link PyByteArray} (a `Uint8Array`) |
 * | `list` | `Array` |
 * | `tuple` | {@link PyTuple} (an `Array` subclass) |
 * | `dict` with only `str` keys | a null-prototype plain object ({@link PyDict}) |
 * | `OrderedDict`, `defaultdict`, `Counter` | a dict as above, its class kept ({@link dictClassOf}) |
 * | other `dict` | `Map` |
 * | `set`, `frozenset` | `Set`, {@link PyFrozenSet} |
 * | numpy array or numpy scalar array | `Tensor` (from `src/tensor.ts`) |
 * | numpy scalar (`np.float32(1)`) | `number` (`bigint` past 2**53, `boolean` for `np.bool_`) |
 * | `numpy.dtype` | {@link NumpyDType} |
 * | a class or function by reference | {@link PyGlobal} |
 * | any other object | an inert {@link PyObject} |
 *
 * @module
 */

import type { DType, Tensor } from "../tensor.ts";

/** Any value the pickle codec reads or writes. */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | PyDict
  | Map<PyValue, PyValue>
  | Set<PyValue>
  | Tensor
  | PyGlobal
  | PyObject
  | PyFloat
  | PyComplex
  | NumpyDType;

/** A Python `dict` whose keys are all `str`: a plain object (null prototype when decoded). */
export interface PyDict {
  /** A value by its `str` key. */
  [key: string]: PyValue;
}

/**
 * A Python `tuple`. It is an `Array`, so indexing and iteration work, but the
 * writer pickles it as a tuple rather than a list. Make one with {@link tuple}
 * (`new PyTuple(3)` would, like `new Array(3)`, make three empty slots).
 */
export class PyTuple extends Array<PyValue> {}

/**
 * Makes a {@link PyTuple} of the given items.
 *
 * @example
 * ```ts
 * import { PyTuple, tuple } from "./values.ts";
 * const t = tuple(1, "a");
 * if (!(t instanceof PyTuple && t.length === 2 && t[1] === "a")) throw new Error("example failed");
 * ```
 */
export function tuple(...items: PyValue[]): PyTuple {
  const t = new PyTuple();
  for (const item of items) t.push(item);
  return t;
}

/** A Python `frozenset` (a `Set` that the writer pickles as `frozenset`). */
export class PyFrozenSet extends Set<PyValue> {}

/**
 * A number the writer must pickle as a Python `float` even when it is
 * integral (plain integral numbers are written as `int`).
 */
export class PyFloat {
  /** Wraps `value`. */
  constructor(readonly value: number) {}
}

/**
 * Forces `x` to be written as a Python `float`.
 *
 * @example
 * ```ts
 * import { pyFloat } from "./values.ts";
 * if (!(pyFloat(1).value === 1)) throw new Error("example failed");
 * ```
 */
export function pyFloat(x: number): PyFloat {
  return new PyFloat(x);
}

/** A Python `bytearray`: a `Uint8Array` that remembers it was not `bytes`. */
export class PyByteArray extends Uint8Array {}

/** A Python `complex` number. */
export class PyComplex {
  /** The number `re + im·j`. */
  constructor(readonly re: number, readonly im: number) {}
}

/**
 * The class of a decoded dict that was not a plain `dict` in Python
 * (`collections.OrderedDict`, `defaultdict`, `Counter`), so that it prints
 * as Python prints it.
 */
export interface DictClass {
  /** The class's module, e.g. `collections`. */
  readonly module: string;
  /** The class's name, e.g. `OrderedDict`. */
  readonly name: string;
  /** A `defaultdict`'s `default_factory` (`null` for None). */
  readonly defaultFactory?: PyValue;
}

const DICT_CLASSES = new WeakMap<object, DictClass>();

/** The Python class of a decoded dict (a plain object or `Map`), when it was not `dict`. */
export function dictClassOf(dict: object): DictClass | undefined {
  return DICT_CLASSES.get(dict);
}

/** Records that `dict` stands for a Python dict of class `cls`; returns `dict`. */
export function markDictClass<T extends object>(dict: T, cls: DictClass): T {
  DICT_CLASSES.set(dict, cls);
  return dict;
}

/** A reference to a Python class or function, `module.name`, that was not called. */
export class PyGlobal {
  /** `module` as Python 3 names it (`builtins`, not `__builtin__`). */
  constructor(readonly module: string, readonly name: string) {}
  /** `module.name`. */
  toString(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * An object of a class the codec does not reconstruct: everything the pickle
 * said about it is kept, and nothing is run.
 *
 * `callable(*args, **kwargs)` (or `module.name.__new__(module.name, *args)`
 * when `newobj`), then `listItems` appended, `dictItems` set, and `state`
 * applied (`__setstate__` or `__dict__.update`).
 */
export class PyObject {
  /** Positional arguments. */
  args: PyTuple;
  /** Keyword arguments (NEWOBJ_EX). */
  kwargs?: PyValue;
  /** Whether it was made with `cls.__new__(cls, *args)` (NEWOBJ) rather than by calling. */
  newobj?: boolean;
  /** The BUILD state (often a dict of attributes). */
  state?: PyValue;
  /** Items appended to it (list subclasses). */
  listItems?: PyValue[];
  /** Items set on it (dict subclasses), in order. */
  dictItems?: [PyValue, PyValue][];
  /** The callable when it was not a plain global (then `module` and `name` are ""). */
  callable?: PyValue;

  /** An object made by `module.name(*args)`. */
  constructor(
    readonly module: string,
    readonly name: string,
    args: PyValue[] = [],
    options: {
      kwargs?: PyValue;
      newobj?: boolean;
      state?: PyValue;
      listItems?: PyValue[];
      dictItems?: [PyValue, PyValue][];
      callable?: PyValue;
    } = {},
  ) {
    this.args = args instanceof PyTuple ? args : tuple(...args);
    for (const [k, v] of Object.entries(options)) {
      if (v !== undefined) (this as Record<string, unknown>)[k] = v;
    }
  }
}

/** A numpy dtype as pickled: `numpy.dtype(str)` plus its BUILD state. */
export class NumpyDType {
  /**
   * @param descr numpy's type code without byte order, e.g. `f4`, `i8`, `b1`, `U5`
   * @param byteorder `<`, `>`, `|` or `=`
   * @param state the BUILD state tuple when it carries more (fields of structured dtypes)
   */
  /** A dtype of numpy's type code `descr`, byte order `byteorder` and, when it carries more, its BUILD `state`. */
  constructor(
    public descr: string,
    public byteorder: string = "|",
    public state?: PyValue,
  ) {}

  /** The numeric dtype it names, or null for strings, objects and records. */
  get dtype(): DType | null {
    return Object.hasOwn(NUMPY_CODES, this.descr)
      ? NUMPY_CODES[this.descr]
      : null;
  }
}

/** numpy type codes (kind + item size) of the dtypes a Tensor holds. */
export const NUMPY_CODES: Readonly<Record<string, DType>> = Object.freeze({
  b1: "bool",
  i1: "int8",
  i2: "int16",
  i4: "int32",
  i8: "int64",
  u1: "uint8",
  u2: "uint16",
  u4: "uint32",
  u8: "uint64",
  f2: "float16",
  f4: "float32",
  f8: "float64",
  c8: "complex64",
  c16: "complex128",
});

/** The numpy type code of each dtype (bfloat16 has none). */
export const DTYPE_CODES: Readonly<Partial<Record<DType, string>>> = Object
  .freeze({
    bool: "b1",
    int8: "i1",
    int16: "i2",
    int32: "i4",
    int64: "i8",
    uint8: "u1",
    uint16: "u2",
    uint32: "u4",
    uint64: "u8",
    float16: "f2",
    float32: "f4",
    float64: "f8",
    complex64: "c8",
    complex128: "c16",
  });

/** Bytes per element of each dtype. */
export const ITEM_SIZE: Readonly<Record<DType, number>> = Object.freeze({
  bool: 1,
  int8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  uint8: 1,
  uint16: 2,
  uint32: 4,
  uint64: 8,
  float16: 2,
  bfloat16: 2,
  float32: 4,
  float64: 8,
  complex64: 8,
  complex128: 16,
});

/** Whether `v` is a `Tensor` (a `{ dtype, shape, data }` object with a matching typed array). */
export function isTensor(v: unknown): v is Tensor {
  if (typeof v !== "object" || v === null) return false;
  if (Object.getPrototypeOf(v) === null) return false; // decoded dicts
  const t = v as Partial<Tensor>;
  return typeof t.dtype === "string" && t.dtype in ITEM_SIZE &&
    Array.isArray(t.shape) && ArrayBuffer.isView(t.data) &&
    !(t.shape instanceof PyTuple) &&
    t.shape.every((d) => Number.isInteger(d) && d >= 0);
}

/** Makes a typed array of `dtype` over a (copied, aligned) byte buffer. */
export function typedArrayOf(
  dtype: DType,
  buffer: ArrayBuffer,
): Tensor["data"] {
  switch (dtype) {
    case "bool":
    case "uint8":
      return new Uint8Array(buffer);
    case "int8":
      return new Int8Array(buffer);
    case "int16":
      return new Int16Array(buffer);
    case "uint16":
    case "float16":
    case "bfloat16":
      return new Uint16Array(buffer);
    case "int32":
      return new Int32Array(buffer);
    case "uint32":
      return new Uint32Array(buffer);
    case "int64":
      return new BigInt64Array(buffer);
    case "uint64":
      return new BigUint64Array(buffer);
    case "float32":
    case "complex64":
      return new Float32Array(buffer);
    case "float64":
    case "complex128":
      return new Float64Array(buffer);
  }
}

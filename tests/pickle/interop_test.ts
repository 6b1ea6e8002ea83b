import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  fromBase64Lines,
  pickle,
  PyByteArray,
  PyComplex,
  pyFloat,
  PyFrozenSet,
  PyGlobal,
  PyObject,
  type PyValue,
  tuple,
  unpickle,
} from "../../src/pickle/mod.ts";
import type { Tensor } from "../../src/tensor.ts";
import { ignoreUnless, runPython } from "../interop/python.ts";

const MODULES = ["numpy"];
const ignore = await ignoreUnless(MODULES);

function dict(entries: [string, PyValue][]): Record<string, PyValue> {
  const o = Object.create(null);
  for (const [k, v] of entries) {
    Object.defineProperty(o, k, {
      value: v,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return o;
}
const t = (
  dtype: Tensor["dtype"],
  shape: number[],
  data: Tensor["data"],
): Tensor => ({ dtype, shape, data });

/** The battery of tests/interop/pickle_battery.py, as our values. */
const EXPECTED: Record<string, () => PyValue> = {
  none: () => null,
  bools: () => [true, false],
  ints: () => [
    0,
    1,
    -1,
    255,
    256,
    65535,
    65536,
    -(2 ** 31),
    2 ** 31 - 1,
    2 ** 31,
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
    2n ** 53n,
    -(2n ** 53n),
    2n ** 63n,
    2n ** 64n,
    -(2n ** 64n),
    2n ** 200n,
    -(2n ** 200n) + 1n,
  ],
  floats: () => [
    0,
    -0,
    1.5,
    -2.25,
    1e16,
    1e-5,
    1e308,
    5e-324,
    NaN,
    Infinity,
    -Infinity,
    0.1,
  ],
  strs: () => [
    "",
    "a",
    "\u00fcn\u00ef",
    "\u1234",
    "\u{1F600}",
    "a\\b\nc\r\x00\x1a",
    "\\u0041",
    "x".repeat(300),
    "quote'\"",
    "\x7f\x80\xff",
  ],
  bytes: () => [
    new Uint8Array(0),
    new Uint8Array([0, 255]),
    Uint8Array.from({ length: 256 }, (_, i) => i),
    new Uint8Array(70000).fill(0x79),
  ],
  bytearray: () => new PyByteArray([0x61, 0x62, 0]),
  tuples: () =>
    tuple(
      tuple(),
      tuple(1),
      tuple(1, 2),
      tuple(1, 2, 3),
      tuple(1, 2, 3, 4),
      tuple(tuple(1), [2]),
    ),
  dict: () => dict([["a", 1], ["b", dict([["c", [1, 2]]])], ["", null]]),
  dict_mixed_keys: () =>
    new Map<PyValue, PyValue>([[1, "x"], [tuple(1, 2), "y"], [null, 3], [
      "s",
      4,
    ]]),
  dict_proto_key: () => dict([["__proto__", 1], ["constructor", 2]]),
  set: () => new Set([1, 2, "x"]),
  frozenset: () => new PyFrozenSet([1, 2]),
  shared: () => {
    const l = [1];
    return [l, l];
  },
  recursive: () => {
    const l: PyValue[] = [];
    l.push(l);
    return l;
  },
  ordered_dict: () => dict([["b", 1], ["a", 2]]),
  long_list: () => Array.from({ length: 2500 }, (_, i) => i),
  big_dict: () =>
    dict(
      Array.from({ length: 1500 }, (_, i) => [`k${i}`, i] as [string, number]),
    ),
  globals: () => [
    new PyGlobal("builtins", "float"),
    new PyGlobal("builtins", "str"),
    new PyGlobal("collections", "OrderedDict"),
    new PyGlobal("math", "sqrt"),
  ],
  point: () =>
    new PyObject("__main__", "Point", [], {
      newobj: true,
      state: dict([["x", 1], ["y", "two"]]),
    }),
  complex: () => new PyComplex(1, 2),
  np_f32: () =>
    t("float32", [2, 3], new Float32Array([0, 0.25, 0.5, 0.75, 1, 1.25])),
  np_i64: () =>
    t("int64", [3], new BigInt64Array([-(2n ** 62n), 0n, 2n ** 62n])),
  np_bool: () => t("bool", [2, 2], new Uint8Array([1, 0, 0, 1])),
  // float16 bits of 0.5, -2, 65504
  np_f16: () => t("float16", [3], new Uint16Array([0x3800, 0xc000, 0x7bff])),
  np_u8: () => t("uint8", [5], new Uint8Array([0, 1, 2, 3, 4])),
  np_big_endian: () => t("float64", [2], new Float64Array([1.5, -3])),
  np_fortran: () => t("int32", [2, 3], new Int32Array([0, 1, 2, 3, 4, 5])),
  np_0d: () => t("float64", [], new Float64Array([7.25])),
  np_c64: () => t("complex64", [2], new Float32Array([1, 2, -0, -3])),
  np_empty: () => t("float64", [0, 3], new Float64Array(0)),
  np_scalars: () => [1.5, 2n ** 60n, true, 0.25, -5, 0.5],
};

/** Names whose Python value our writer cannot reproduce exactly. */
const WRITE_SKIP = new Set([
  "np_scalars", // numpy scalars decode to plain numbers
  "ordered_dict", // decoded as a plain dict
]);

/** Values written differently from how they decode (integral floats). */
const WRITE_AS: Record<string, () => PyValue> = {
  floats: () =>
    (EXPECTED.floats() as number[]).map((x) =>
      Number.isInteger(x) ? pyFloat(x) : x
    ),
};

function b64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return btoa(s);
}

Deno.test({
  name: "interop: Python's pickles of the battery (protocols 0-5) decode equal",
  ignore,
  async fn() {
    const out = await runPython(MODULES, "pickle_battery.py", ["dump"]);
    const cases = out.trim().split("\n").map((l) => JSON.parse(l));
    strictEqual(cases.length, Object.keys(EXPECTED).length * 6);
    for (const c of cases) {
      const got = unpickle(fromBase64Lines(c.b64));
      const want = EXPECTED[c.name]();
      try {
        deepStrictEqual(got, want);
      } catch (e) {
        throw new Error(`${c.name} protocol ${c.protocol}: ${e}`);
      }
      if (c.name === "shared") {
        const [a, b] = got as PyValue[][];
        strictEqual(a, b);
      }
      if (c.name === "recursive") strictEqual((got as PyValue[])[0], got);
    }
  },
});

Deno.test({
  name:
    "interop: Python reads our pickles of the battery (protocols 0-5) equal",
  ignore,
  async fn() {
    const cases = [];
    for (const [name, make] of Object.entries(EXPECTED)) {
      if (WRITE_SKIP.has(name)) continue;
      for (const protocol of [0, 1, 2, 3, 4, 5] as const) {
        const value = WRITE_AS[name]?.() ?? make();
        cases.push({ name, protocol, b64: b64(pickle(value, { protocol })) });
      }
    }
    const report = JSON.parse(
      await runPython(
        MODULES,
        "pickle_battery.py",
        ["check"],
        JSON.stringify(cases),
      ),
    );
    deepStrictEqual(report.failures, []);
    strictEqual(report.checked, cases.length);
  },
});

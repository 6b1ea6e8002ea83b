// OBJECT and PICKLE cells that the original cox wrote with real dill (0.3.x):
// numpy arrays, torch tensors, bytearray, complex, sets and builtin types
// come back as values, never as inert objects.
import { join } from "node:path";
import { assertEquals } from "./assert.ts";
import { CollectionReader } from "../mod.ts";
import {
  PyByteArray,
  PyComplex,
  PyFloat,
  PyGlobal,
  PyTuple,
} from "../src/pickle/values.ts";
import { isTensor } from "../src/pickle/values.ts";
import { halfToNumber } from "../src/pickle/read.ts";
import { pyStr } from "../src/python_str.ts";
import { ignoreUnless, runPython } from "./interop/python.ts";

const MODULES = ["pandas", "tables", "dill", "numpy", "torch"];
const ignore = await ignoreUnless(MODULES);

interface Sweep {
  dir: string;
  cases: Record<string, { plain: unknown; str: string }>;
  csv: string;
  names: Record<string, string>;
}

let sweep: Sweep | undefined;
/** The sweep cox_dill_sweep.py writes (made once per test file). */
export async function dillSweep(): Promise<Sweep> {
  if (sweep) return sweep;
  const dir = await Deno.makeTempDir({ prefix: "cox-dill-" });
  const out = JSON.parse(
    await runPython(MODULES, "cox_dill_sweep.py", [dir]),
  );
  sweep = { dir, ...out };
  return sweep!;
}

/** A float as the script's JSON has it: inf and nan as Python prints them. */
function num(x: number): number | string {
  return Number.isFinite(x)
    ? x
    : Number.isNaN(x)
    ? "nan"
    : x > 0
    ? "inf"
    : "-inf";
}

/** Our value in the shape of the script's plain(): what JSON cannot tell is tagged. */
function plain(v: unknown): unknown {
  if (isTensor(v)) {
    let values: unknown[] = Array.from(v.data as ArrayLike<number | bigint>)
      .map((
        x,
      ) => typeof x === "bigint" ? Number(x) : x);
    if (v.dtype === "bool") values = values.map((x) => x !== 0);
    if (v.dtype === "float16") {
      values = values.map((x) => halfToNumber(x as number));
    }
    if (v.dtype.startsWith("complex")) {
      const pairs = [];
      for (let i = 0; i < values.length; i += 2) {
        pairs.push([num(values[i] as number), num(values[i + 1] as number)]);
      }
      values = pairs;
    }
    return { dtype: v.dtype, shape: v.shape, values };
  }
  if (v instanceof PyComplex) return { complex: [num(v.re), num(v.im)] };
  if (v instanceof PyFloat) return num(v.value);
  if (typeof v === "number") return num(v);
  if (v instanceof Uint8Array) return { bytes: [...v] };
  if (v instanceof PyGlobal) return { type: `${v.module}.${v.name}` };
  if (v instanceof Set) {
    return [...v].map(plain).sort((a, b) =>
      JSON.stringify(a) < JSON.stringify(b) ? -1 : 1
    );
  }
  if (Array.isArray(v)) return Array.from(v, plain);
  if (v instanceof Map) {
    return Object.fromEntries([...v].map(([k, x]) => [pyStr(k), plain(x)]));
  }
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, plain(x)]),
    );
  }
  return v;
}

/** The script's plain() of an array or tensor, in our dtype names. */
function expected(p: unknown): unknown {
  if (p !== null && typeof p === "object" && !Array.isArray(p)) {
    const o = p as Record<string, unknown>;
    const kind = o.ndarray ?? o.tensor;
    if (typeof kind === "string") {
      const dtype = kind === "bool" ? "bool" : kind;
      return { dtype, shape: o.shape, values: o.values };
    }
    return Object.fromEntries(
      Object.entries(o).map(([k, x]) => [k, expected(x)]),
    );
  }
  if (Array.isArray(p)) return p.map(expected);
  return p;
}

const DATA_CASES = [
  "arr_f32",
  "arr_i64",
  "arr_fortran",
  "arr_bool",
  "arr_c128",
  "arr_be",
  "arr_empty",
  "dict_arrays",
  "torch_f32",
  "torch_i64",
  "torch_strided",
  "torch_dict",
  "bytearray",
  "complex",
  "set",
  "frozenset",
  "type_int",
  "type_none",
  "type_bytearray",
  "floats",
  "nested",
];

Deno.test({
  name:
    "dill's reconstructors in cox's OBJECT and PICKLE cells decode to values",
  ignore,
  async fn() {
    const { dir, cases } = await dillSweep();
    using reader = await CollectionReader.open(dir, { progress: false });
    const df = reader.df("metadata");
    const ids = df.array("exp_id") as string[];
    const v = df.array("v") as unknown[];
    const p = df.array("p") as unknown[];
    for (const name of DATA_CASES) {
      const i = ids.indexOf(name);
      const want = expected(cases[name].plain);
      assertEquals(plain(v[i]), want, `OBJECT cell ${name}`);
      assertEquals(plain(p[i]), want, `PICKLE cell ${name}`);
    }
    // the classes are kept where Python tells them apart
    const at = (name: string) => v[ids.indexOf(name)];
    assertEquals(at("bytearray") instanceof PyByteArray, true);
    assertEquals(at("set") instanceof Set, true);
    assertEquals(at("frozenset")?.constructor.name, "PyFrozenSet");
    assertEquals(
      (at("nested") as Record<string, unknown>).x instanceof Array,
      true,
    );
    assertEquals(
      ((at("nested") as Record<string, unknown[]>).x[2]) instanceof PyTuple,
      true,
    );
  },
});

Deno.test({
  name: "the dill sweep's folder is removed",
  ignore,
  async fn() {
    const { dir } = await dillSweep();
    await Deno.remove(join(dir), { recursive: true });
    sweep = undefined;
  },
});

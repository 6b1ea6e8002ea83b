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
import { planTensorboard } from "../src/cli/tensorboard.ts";
import { safeRunName } from "../src/sweep/run_namer.ts";
import { main } from "../src/cli/main.ts";
import { quietly } from "./warnings.ts";
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

const STR_CASES = [
  "floats",
  "float2",
  "np_f64",
  "np_f32",
  "np_i32",
  "np_bool",
  "none",
  "true_none",
  "date",
  "datetime",
  "datetime_utc",
  "time",
  "timedelta",
  "timedelta_neg",
  "decimal",
  "ordered",
  "default",
  "counter",
  "nested",
  "cplx_list",
  "complex",
  "bytearray",
  "set",
  "frozenset",
  "type_int",
  "type_none",
];

Deno.test({
  name:
    "str() of decoded cells, tensorboard names and `cox df --format csv` are what Python, cox and pandas print",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "cox-str-" });
    try {
      const py = JSON.parse(
        await runPython(MODULES, "cox_dill_sweep.py", [dir, ...STR_CASES]),
      );
      // str() of each value, decoded keeping Python's floats apart from its ints
      using reader = await CollectionReader.open(dir, { progress: false });
      for (const name of STR_CASES) {
        const table = reader.stores.get(name)!.table("metadata");
        const cell = table.rows()[0].v as string;
        const value = table.getObject(cell, { exactNumbers: true });
        assertEquals(pyStr(value), py.cases[name].str, `str() of ${name}`);
        const pickled = table.getPickle(table.rows()[0].p as string, {
          exactNumbers: true,
        });
        assertEquals(pyStr(pickled), py.cases[name].str, `str() of ${name}`);
      }
      // the names cox's tensorboard_view gives (":" and "," made "_" for --logdir_spec)
      const { value: plan } = await quietly(() =>
        planTensorboard({
          logdir: dir,
          formatStr: "{v}",
          filters: [],
          metadataTable: "metadata",
          port: 6006,
        })
      );
      for (const run of plan.runs) {
        assertEquals(
          run.name,
          safeRunName(`${py.names[run.expId]}---${run.expId}`),
          `tensorboard name of ${run.expId}`,
        );
      }
      // cox's CollectionReader.df(...).to_csv(index=False), line by line
      const out: string[] = [];
      const status = await main(["df", dir, "metadata", "--format", "csv"], {
        out: (t) => out.push(t),
        err: () => {},
      });
      assertEquals(status, 0);
      assertEquals(out.join("").split("\n"), py.csv.split("\n"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "`cox df --format csv` of single-type object columns is what pandas writes",
  ignore,
  async fn() {
    // one sweep per column type, so that pandas infers its dtype (float64,
    // datetime64, timedelta64...) as it does for a real sweep
    for (
      const group of [
        ["float2", "none", "floats"],
        ["datetime", "date"],
        ["timedelta", "timedelta_neg"],
        ["np_f32"],
        ["np_f64", "float2"],
        ["np_i32"],
        ["datetime_utc"],
        ["none"],
      ]
    ) {
      const dir = await Deno.makeTempDir({ prefix: "cox-csv-" });
      try {
        const py = JSON.parse(
          await runPython(MODULES, "cox_dill_sweep.py", [dir, ...group]),
        );
        const out: string[] = [];
        await main(["df", dir, "metadata", "--format", "csv"], {
          out: (t) => out.push(t),
          err: () => {},
        });
        assertEquals(out.join(""), py.csv, group.join(", "));
        const { value: plan } = await quietly(() =>
          planTensorboard({
            logdir: dir,
            formatStr: "{v}",
            filters: [],
            metadataTable: "metadata",
            port: 6006,
          })
        );
        for (const run of plan.runs) {
          assertEquals(
            run.name,
            safeRunName(`${py.names[run.expId]}---${run.expId}`),
            `${group.join(", ")}: tensorboard name of ${run.expId}`,
          );
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }
  },
});

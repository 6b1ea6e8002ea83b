// pandas/PyTables (Debian's python3-pandas, python3-tables) read and append to
// the stores we write, and we read and append to the stores they write.
import { join } from "node:path";
import { assertEquals } from "./assert.ts";
import { OBJECT, Store } from "../mod.ts";
import { ignoreUnless, runPython } from "./interop/python.ts";
import { copyCollection } from "./fixtures.ts";

const MODULES = ["pandas", "tables"];
const ignore = await ignoreUnless(MODULES);

interface PandasTable {
  columns: string[];
  dtypes: Record<string, string>;
  index: number[];
  rows: Record<string, unknown>[];
  nrows: number;
  cox: {
    name: string;
    schema: Record<string, string>;
    schema_types: Record<string, string>;
  } | null;
}

async function pandasRead(
  storePath: string,
): Promise<Record<string, PandasTable>> {
  return JSON.parse(
    await runPython(MODULES, "store_tool.py", ["read", storePath]),
  );
}

async function pythonAppend(
  storePath: string,
  table: string,
  rows: unknown[],
): Promise<void> {
  await runPython(
    MODULES,
    "store_tool.py",
    ["append", storePath, table],
    JSON.stringify(rows),
  );
}

// how the Python side prints a cell: ints as strings, non-finite floats as names
function py(v: unknown): unknown {
  if (typeof v === "bigint") return String(v);
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "NaN";
    if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
  }
  return v;
}

const ROWS = [
  { loss: 0.5, epoch: 0, tag: "plain", ok: true },
  { loss: NaN, epoch: 2n ** 60n + 1n, tag: "héllo ✓ 𝄞", ok: false },
  { loss: Infinity, epoch: -(2n ** 63n), tag: "", ok: true },
  { loss: -Infinity, epoch: 9007199254740991, tag: "x".repeat(300), ok: false },
  { loss: -0.0001, epoch: -1, tag: "ünï", ok: true },
];

Deno.test({
  name:
    "pandas reads a store we wrote with equal values and dtypes, and cox's COX_DATA",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    const store = await Store.open(dir, "run");
    const log = store.addTable("log", {
      loss: "float",
      epoch: "int",
      tag: "str",
      ok: "bool",
      obj: OBJECT,
    });
    ROWS.forEach((r, i) => log.appendRow({ ...r, obj: { i } }));
    store.close();
    const tables = await pandasRead(join(dir, "run", "store.h5"));
    const t = tables.log;
    assertEquals(t.columns, ["loss", "epoch", "tag", "ok", "obj"]);
    assertEquals(t.dtypes, {
      loss: "float64",
      epoch: "int64",
      tag: "object",
      ok: "bool",
      obj: "object",
    });
    assertEquals(t.index, [0, 1, 2, 3, 4]);
    assertEquals(t.nrows, 5);
    assertEquals(
      t.rows.map((r) => ({
        loss: r.loss,
        epoch: r.epoch,
        tag: r.tag,
        ok: r.ok,
      })),
      ROWS.map((r) => ({
        loss: py(r.loss),
        epoch: py(BigInt(r.epoch)),
        tag: r.tag,
        ok: r.ok,
      })),
    );
    assertEquals(t.cox, {
      name: "log",
      schema: {
        loss: "float",
        epoch: "int",
        tag: "str",
        ok: "bool",
        obj: "__object__",
      },
      schema_types: {
        loss: "<class 'float'>",
        epoch: "<class 'int'>",
        tag: "<class 'str'>",
        ok: "<class 'bool'>",
        obj: "'__object__'",
      },
    });
  },
});

Deno.test({
  name:
    "Python appends to a store we wrote; we read all rows and append again; pandas reads all",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    {
      using store = await Store.open(dir, "run");
      const t = store.addTable("m", {
        step: "int",
        loss: "float",
        name: "str",
        ok: "bool",
      });
      t.appendRow({ step: 0, loss: 1.5, name: "first", ok: true });
    }
    const h5 = join(dir, "run", "store.h5");
    await pythonAppend(h5, "m", [
      { step: 1, loss: 0.75, name: "from python", ok: false },
      { step: 2, loss: 0.25, name: "again", ok: true },
    ]);
    {
      using store = await Store.open(dir, "run");
      const t = store.table("m");
      assertEquals(t.nrows, 3);
      assertEquals(t.rows(), [
        { step: 0, loss: 1.5, name: "first", ok: true },
        { step: 1, loss: 0.75, name: "from python", ok: false },
        { step: 2, loss: 0.25, name: "again", ok: true },
      ]);
      t.appendRow({
        step: 3,
        loss: 0.125,
        name: "deno after python, and longer than any before",
        ok: false,
      });
    }
    const t = (await pandasRead(h5)).m;
    assertEquals(t.index, [0, 1, 2, 3]);
    assertEquals(t.rows.map((r) => r.name), [
      "first",
      "from python",
      "again",
      "deno after python, and longer than any before",
    ]);
    assertEquals(t.rows.map((r) => r.step), ["0", "1", "2", "3"]);
    assertEquals(t.dtypes, {
      step: "int64",
      loss: "float64",
      name: "object",
      ok: "bool",
    });
  },
});

Deno.test({
  name:
    "we append to a store the original cox wrote (value blocks); pandas and Python cox go on with it",
  ignore,
  async fn() {
    const storage = await copyCollection("walkthrough1");
    const expId = "d35b0e63-6620-4f04-b83b-666ed6d18b7b";
    const h5 = join(storage, expId, "store.h5");
    const before = await pandasRead(h5);
    {
      using store = await Store.open(storage, expId);
      const log = store.table("running_log");
      assertEquals(log.nrows, before.running_log.nrows);
      log.appendRow({ current_x: 1.25, current_f: -2.5 });
      log.appendRow({ current_x: 1.5, current_f: NaN });
      store.table("metadata").appendRow({
        step_size: 0.5,
        tolerance: 1e-3,
        initial_x: 2,
        out_dir: "/tmp/",
      });
    }
    let after = await pandasRead(h5);
    const n = before.running_log.nrows;
    assertEquals(after.running_log.nrows, n + 2);
    assertEquals(after.running_log.rows.slice(0, n), before.running_log.rows);
    assertEquals(after.running_log.rows.slice(n), [
      { current_x: 1.25, current_f: -2.5 },
      { current_x: 1.5, current_f: "NaN" },
    ]);
    assertEquals(after.metadata.rows[1], {
      step_size: 0.5,
      tolerance: 1e-3,
      initial_x: 2,
      out_dir: "/tmp/",
    });

    // a string wider than the column written by Python: the table is widened, nothing lost
    {
      using store = await Store.open(storage, expId);
      store.table("metadata").appendRow({
        step_size: 0.25,
        tolerance: 1e-4,
        initial_x: 3,
        out_dir: "/scratch/a/much/longer/output/folder/than/before",
      });
    }
    after = await pandasRead(h5);
    assertEquals(after.metadata.rows.map((r) => r.out_dir), [
      "/tmp/",
      "/tmp/",
      "/scratch/a/much/longer/output/folder/than/before",
    ]);
    assertEquals(after.running_log.rows.length, n + 2);
    assertEquals(after.metadata.cox?.schema, {
      step_size: "float",
      tolerance: "float",
      initial_x: "float",
      out_dir: "str",
    });

    await pythonAppend(h5, "running_log", [{ current_x: 9, current_f: 81 }]);
    using store = await Store.open(storage, expId, { mode: "r" });
    const rows = store.table("running_log").rows();
    assertEquals(rows.length, n + 3);
    assertEquals(rows.at(-1), { current_x: 9, current_f: 81 });
    assertEquals(rows.at(-3), { current_x: 1.25, current_f: -2.5 });
  },
});

Deno.test({
  name:
    "a store written by pandas as cox writes it reads back, takes our rows, and Python appends after",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    await Deno.mkdir(join(dir, "py"));
    const h5 = join(dir, "py", "store.h5");
    const schema = { f: "float", i: "int", s: "str", b: "bool" };
    const rows = [
      { f: 1.5, i: 2 ** 40, s: "ä", b: true },
      { f: -0.5, i: -3, s: "bb", b: false },
    ];
    await runPython(
      MODULES,
      "store_tool.py",
      ["write", h5, "t"],
      JSON.stringify({ schema, rows }),
    );
    {
      using store = await Store.open(dir, "py");
      const t = store.table("t");
      assertEquals(t.schema, schema);
      assertEquals(t.rows(), rows);
      t.appendRow({ f: 2.5, i: 7, s: "cc", b: true });
    }
    await pythonAppend(h5, "t", [{ f: 3.5, i: 8, s: "dd", b: false }]);
    const t = (await pandasRead(h5)).t;
    assertEquals(t.rows.map((r) => r.s), ["ä", "bb", "cc", "dd"]);
    assertEquals(t.rows.map((r) => r.i), [String(2 ** 40), "-3", "7", "8"]);
    assertEquals(t.dtypes, {
      f: "float64",
      i: "int64",
      s: "object",
      b: "bool",
    });
  },
});

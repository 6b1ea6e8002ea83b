// CollectionReader: every run of a sweep in one Arquero table, as cox's
// CollectionReader gives it, on the runs Python cox wrote and on ours.
import { join } from "node:path";
import {
  assertEquals,
  assertOk,
  assertRejects,
  assertThrows,
} from "./assert.ts";
import {
  CollectionReader,
  OBJECT,
  PICKLE,
  PYTORCH_STATE,
  Store,
} from "../mod.ts";
import { expectedCollection, FIXTURES, jsonValue } from "./fixtures.ts";
import { toJson } from "./pickle/json.ts";
import { quietly } from "./warnings.ts";
import type { DataFrame } from "../mod.ts";

type Rows = Record<string, unknown>[];
const rowsOf = (df: DataFrame): Rows => df.objects() as Rows;

function json(v: unknown): unknown {
  return jsonValue(toJson(v));
}

for (const collection of ["walkthrough1", "walkthrough2", "types"]) {
  Deno.test(`CollectionReader.df() gives the frames pandas gives for fixture ${collection}`, async () => {
    const expected = await expectedCollection(collection);
    using reader = await CollectionReader.open(join(FIXTURES, collection), {
      progress: false,
    });
    assertEquals(
      [...reader.tables].sort(),
      Object.keys(expected.tables).sort(),
    );
    for (const [name, frame] of Object.entries(expected.tables)) {
      const keep = collection === "types" && name === "kinds" ? ["o", "p"] : [];
      const df = reader.df(name, { keepSerialized: keep });
      assertEquals(df.columnNames(), frame.columns, `${name} columns`);
      // runs come in name order; rows of one run keep their order
      const want = [...frame.rows].sort((a, b) =>
        (a.exp_id as string).localeCompare(b.exp_id as string)
      );
      const got = rowsOf(df).map((r) =>
        Object.fromEntries(frame.columns.map((c) => [c, json(r[c])]))
      );
      assertEquals(
        got,
        want.map((r) =>
          Object.fromEntries(frame.columns.map((c) => [c, r[c]]))
        ),
        name,
      );
    }
    assertEquals(
      Object.fromEntries(
        Object.entries(reader.schemas).map((
          [t, s],
        ) => [t, Object.keys(s).sort()]),
      ),
      Object.fromEntries(
        Object.entries(expected.schemas).map((
          [t, s],
        ) => [t, Object.keys(s).sort()]),
      ),
    );
  });
}

Deno.test("df() decodes OBJECT and PICKLE cells; PYTORCH_STATE cells stay uuids for getStateDict()", async () => {
  const objects = JSON.parse(
    await Deno.readTextFile(join(FIXTURES, "expected", "types.objects.json")),
  );
  using reader = await CollectionReader.open(join(FIXTURES, "types"), {
    progress: false,
  });
  const rows = rowsOf(reader.df("kinds"));
  assertEquals(
    rows.map((r) => toJson(r.o)),
    objects.map((o: { o: unknown }) => o.o),
  );
  assertEquals(
    rows.map((r) => toJson(r.p)),
    objects.map((o: { p: unknown }) => o.p),
  );
  const table = reader.stores.get("all-types")!.table("kinds");
  assertOk(rows.every((r) => /^[0-9a-f-]{36}$/.test(r.t as string)));
  assertEquals(
    rows.map((r) => toJson(table.getStateDict(r.t as string))),
    objects.map((o: { t: unknown }) => o.t),
  );
});

async function sweep(
  dir: string,
  runs: Record<string, Record<string, unknown>[]>,
  schemaOf: (id: string) => Record<string, "int" | "float">,
) {
  for (const [id, rows] of Object.entries(runs)) {
    using store = await Store.open(dir, id);
    const t = store.addTable("t", schemaOf(id) as Record<string, "int">);
    for (const row of rows) t.appendRow(row as Record<string, number>);
  }
}

Deno.test("df() makes a column float where one run has it int and another float", async () => {
  const dir = await Deno.makeTempDir();
  await sweep(
    dir,
    { a: [{ x: 1 }, { x: 2 }], b: [{ x: 0.5 }] },
    (id) => ({ x: id === "a" ? "int" : "float" }),
  );
  using reader = await CollectionReader.open(dir, { progress: false });
  assertEquals(reader.schemas.t, { x: "float" });
  assertEquals(rowsOf(reader.df("t")), [{ x: 1, exp_id: "a" }, {
    x: 2,
    exp_id: "a",
  }, { x: 0.5, exp_id: "b" }]);
});

Deno.test("df() refuses different column sets naming runs and columns, unless unionSchemas", async () => {
  const dir = await Deno.makeTempDir();
  await sweep(
    dir,
    { a: [{ x: 1, y: 2 }], b: [{ x: 3 }] },
    (
      id,
    ): Record<
      string,
      "int"
    > => (id === "a" ? { x: "int", y: "int" } : { x: "int" }),
  );
  using reader = await CollectionReader.open(dir, { progress: false });
  assertThrows(
    () => reader.df("t"),
    TypeError,
    `table "t"`,
    "run b lacks",
    `"y"`,
    "found in a",
    "unionSchemas",
  );
  assertEquals(rowsOf(reader.df("t", { unionSchemas: true })), [
    { x: 1, y: 2, exp_id: "a" },
    { x: 3, y: null, exp_id: "b" },
  ]);
  assertEquals(
    rowsOf(
      reader.df("t", { appendExpId: false, expFilter: (id) => id === "b" }),
    ),
    [{ x: 3 }],
  );
});

Deno.test("df() skips a run without the table, with a warning naming it", async () => {
  const dir = await Deno.makeTempDir();
  await sweep(dir, { a: [{ x: 1 }] }, () => ({ x: "int" }));
  {
    using store = await Store.open(dir, "b");
    store.addTable("other", { y: "int" }).appendRow({ y: 1 });
  }
  using reader = await CollectionReader.open(dir, { progress: false });
  const { value: df, warnings } = await quietly(() => reader.df("t"));
  assertEquals(rowsOf(df), [{ x: 1, exp_id: "a" }]);
  assertEquals(warnings, [`run b has no table "t"; skipping it`]);
});

Deno.test("CollectionReader.open() skips non-runs; skipErrors skips broken runs naming them", async () => {
  const dir = await Deno.makeTempDir();
  await sweep(dir, { good: [{ x: 1 }] }, () => ({ x: "int" }));
  await Deno.mkdir(join(dir, "not-a-run"));
  await Deno.writeTextFile(join(dir, "notes.txt"), "hello");
  await Deno.mkdir(join(dir, "broken"));
  await Deno.writeTextFile(join(dir, "broken", "store.h5"), "not hdf5");
  await assertRejects(
    () => CollectionReader.open(dir, { progress: false }),
    Error,
    join(dir, "broken", "store.h5"),
  );
  const { value: reader, warnings } = await quietly(() =>
    CollectionReader.open(dir, { skipErrors: true, progress: false })
  );
  assertEquals([...reader.stores.keys()], ["good"]);
  assertEquals(rowsOf(reader.df("t")), [{ x: 1, exp_id: "good" }]);
  reader.close();
  assertEquals(warnings.length, 1);
  assertOk(warnings[0].startsWith("skipping run broken:"), warnings[0]);
});

Deno.test("CollectionReader.open() keeps only runs that expFilter accepts", async () => {
  const dir = await Deno.makeTempDir();
  await sweep(
    dir,
    { a1: [{ x: 1 }], a2: [{ x: 2 }], b1: [{ x: 3 }] },
    () => ({ x: "int" }),
  );
  using reader = await CollectionReader.open(dir, {
    expFilter: (id) => id.startsWith("a"),
    progress: false,
  });
  assertEquals([...reader.stores.keys()], ["a1", "a2"]);
  assertEquals(reader.df("t").array("x"), [1, 2]);
});

Deno.test("table kinds of every sort come back through df() from a sweep we wrote", async () => {
  const dir = await Deno.makeTempDir();
  {
    using store = await Store.open(dir, "r");
    const t = store.addTable("k", {
      f: "float",
      o: OBJECT,
      p: PICKLE,
      s: PYTORCH_STATE,
    });
    t.appendRow({
      f: 1,
      o: { a: [1, "x"] },
      p: ["p", 2],
      s: { w: { dtype: "int32", shape: [2], data: new Int32Array([7, 8]) } },
    });
  }
  using reader = await CollectionReader.open(dir, { progress: false });
  const [row] = rowsOf(reader.df("k"));
  assertEquals(toJson(row.o), { a: [1, "x"] });
  assertEquals(toJson(row.p), ["p", 2]);
  assertEquals(
    toJson(reader.stores.get("r")!.table("k").getStateDict(row.s as string)),
    {
      w: { ndarray: [7, 8], dtype: "int32", shape: [2] },
    },
  );
  const kept = rowsOf(reader.df("k", { keepSerialized: ["o"] }))[0];
  assertOk(typeof kept.o === "string" && kept.o.startsWith("gASV"));
});

Deno.test("a sweep of 10,000 small runs reads without running out of memory or file handles", async () => {
  const dir = await Deno.makeTempDir();
  const RUNS = 10_000;
  // one run written through the library, copied: making 10,000 stores one by one is slow
  {
    using store = await Store.open(dir, "seed");
    store.addTable("metadata", { i: "int", name: "str" }).appendRow({
      i: 0,
      name: "seed",
    });
  }
  const seed = Deno.readFileSync(join(dir, "seed", "store.h5"));
  await Deno.remove(join(dir, "seed"), { recursive: true });
  for (let i = 0; i < RUNS; i++) {
    const run = join(dir, `run-${String(i).padStart(5, "0")}`);
    Deno.mkdirSync(run);
    Deno.writeFileSync(join(run, "store.h5"), seed);
  }
  using reader = await CollectionReader.open(dir, { progress: false });
  assertEquals(reader.stores.size, RUNS);
  const df = reader.df("metadata");
  assertEquals(df.numRows(), RUNS);
  assertEquals(df.array("exp_id")[RUNS - 1], "run-09999");
  // no file is left open per run
  const fds = [...Deno.readDirSync("/proc/self/fd")].length;
  assertOk(fds < 400, `${fds} open file descriptors`); // at most 256 kept open for a first read
});

Deno.test("CollectionReader.open() counts a run's snapshot as a run, as cox does, unless skipSnapshots", async () => {
  const dir = await Deno.makeTempDir();
  {
    using store = await Store.open(dir, "a");
    store.addTable("t", { x: "int" }).appendRow({ x: 1 });
    store.snapshotCopy();
  }
  {
    // a folder that merely ends in _snapshot, with no run of that name, is a run
    using other = await Store.open(dir, "b_snapshot");
    other.addTable("t", { x: "int" }).appendRow({ x: 2 });
  }
  {
    using reader = await CollectionReader.open(dir, { progress: false });
    assertEquals([...reader.stores.keys()], ["a", "a_snapshot", "b_snapshot"]);
    assertEquals(reader.df("t").array("x"), [1, 1, 2]);
  }
  using reader = await CollectionReader.open(dir, {
    progress: false,
    skipSnapshots: true,
  });
  assertEquals([...reader.stores.keys()], ["a", "b_snapshot"]);
  assertEquals(reader.df("t").array("x"), [1, 2]);
});

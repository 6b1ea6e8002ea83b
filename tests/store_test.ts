// Store and Table semantics: run folders, schemas, the working row, int64,
import { quietly } from "./warnings.ts";
// errors that name what was wrong, and when rows reach the disk.
import { join } from "node:path";
import {
  assertEquals,
  assertOk,
  assertRejects,
  assertThrows,
} from "./assert.ts";
import {
  OBJECT,
  PICKLE,
  PYTORCH_STATE,
  Store,
  StoreFileError,
} from "../mod.ts";

async function tmp(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "cox-store-" });
}

function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

Deno.test("Store.open() creates the run folder as cox lays it out", async () => {
  const dir = await tmp();
  using store = await Store.open(dir);
  assertOk(
    /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
      .test(store.expId),
    store.expId,
  );
  assertEquals(store.path, join(dir, store.expId));
  assertEquals(store.saveDir, join(dir, store.expId, "save"));
  assertEquals(store.tensorboardDir, join(dir, store.expId, "tensorboard"));
  for (const sub of ["save", ".table_objects", "tensorboard"]) {
    assertOk(isDir(join(store.path, sub)), sub);
  }
  assertOk(Deno.statSync(join(store.path, "store.h5")).isFile);
  assertEquals(OBJECT, "__object__");
  assertEquals(PICKLE, "__pickle__");
  assertEquals(PYTORCH_STATE, "__pytorch_state__");
});

Deno.test("Store.open() makes a relative storage folder absolute", async () => {
  const dir = await tmp();
  const cwd = Deno.cwd();
  Deno.chdir(dir);
  try {
    using store = await Store.open("runs", "a");
    assertEquals(store.path, join(Deno.realPathSync(dir), "runs", "a"));
  } finally {
    Deno.chdir(cwd);
  }
});

Deno.test("Store.open() with new: true refuses an existing run", async () => {
  const dir = await tmp();
  (await Store.open(dir, "x")).close();
  await assertRejects(
    () => Store.open(dir, "x", { new: true }),
    Deno.errors.AlreadyExists,
    join(dir, "x"),
  );
});

Deno.test("Store.open() in mode r creates nothing and refuses writes", async () => {
  const dir = await tmp();
  await assertRejects(
    () => Store.open(dir, "none", { mode: "r" }),
    Deno.errors.NotFound,
    "store.h5",
  );
  assertEquals(isDir(join(dir, "none")), false);
  {
    using store = await Store.open(dir, "run");
    store.addTable("t", { a: "int" }).appendRow({ a: 1 });
  }
  using store = await Store.open(dir, "run", { mode: "r" });
  assertThrows(() => store.addTable("u", { a: "int" }), TypeError, "read-only");
  assertThrows(
    () => store.table("t").appendRow({ a: 2 }),
    TypeError,
    `table "t"`,
    "read-only",
  );
  assertEquals(store.table("t").rows(), [{ a: 1 }]);
});

Deno.test("Store.open() in mode w starts store.h5 afresh", async () => {
  const dir = await tmp();
  {
    using store = await Store.open(dir, "run");
    store.addTable("t", { a: "int" }).appendRow({ a: 1 });
  }
  using store = await Store.open(dir, "run", { mode: "w" });
  assertEquals([...store.tables.keys()], []);
});

Deno.test("Store.open() refuses experiment ids that would leave the storage folder", async () => {
  const dir = await tmp();
  for (const bad of ["", ".", "..", "../escape", "a/b", "a\\b", "nul\0"]) {
    await assertRejects(() => Store.open(dir, bad), TypeError, "experiment id");
  }
  assertEquals([...Deno.readDirSync(dir)].length, 0);
});

Deno.test("Store.open() names the file when store.h5 is not HDF5 or truncated", async () => {
  const dir = await tmp();
  const cases: [string, Uint8Array, string][] = [
    [
      "text",
      new TextEncoder().encode("this is not hdf5 at all, only text"),
      "not an HDF5 file",
    ],
  ];
  {
    using store = await Store.open(dir, "good");
    store.addTable("t", { a: "float" }).appendRow({ a: 1 });
  }
  const good = Deno.readFileSync(join(dir, "good", "store.h5"));
  cases.push(["truncated", good.subarray(0, 1500), ""]);
  for (const [name, bytes] of cases) {
    Deno.mkdirSync(join(dir, name));
    Deno.writeFileSync(join(dir, name, "store.h5"), bytes);
    for (const mode of ["a", "r"] as const) {
      const error = await assertRejects(
        () => Store.open(dir, name, { mode }),
        StoreFileError,
        join(dir, name, "store.h5"),
      );
      assertOk(
        error.message.includes(
          name === "truncated"
            ? "Cannot open"
            : cases.find((c) => c[0] === name)![2],
        ),
      );
    }
    // the damaged file is left as it was
    assertEquals(Deno.readFileSync(join(dir, name, "store.h5")), bytes);
  }
});

Deno.test("an empty or all-zero store.h5 (a creator killed midway) is an empty run, with a warning", async () => {
  const dir = await tmp();
  for (const [name, bytes] of [["empty", 0], ["zeros", 4096]] as const) {
    const store = join(dir, name, "store.h5");
    Deno.mkdirSync(join(dir, name));
    Deno.writeFileSync(store, new Uint8Array(bytes));
    const read = await quietly(async () => {
      using reader = await Store.open(dir, name, { mode: "r" });
      return reader.tables.size;
    });
    assertEquals(read.value, 0);
    assertEquals(read.warnings.length, 1);
    assertOk(read.warnings[0].includes(store), read.warnings[0]);
    const written = await quietly(async () => {
      using writer = await Store.open(dir, name);
      writer.addTable("t", { a: "int" }).appendRow({ a: 7 });
    });
    assertEquals(written.warnings.length, 1);
    assertOk(written.warnings[0].includes("kept the old bytes"));
    using again = await Store.open(dir, name, { mode: "r" });
    assertEquals(again.table("t").rows(), [{ a: 7 }]);
  }
});

Deno.test("addTable() checks names and schemas", async () => {
  using store = await Store.open(await tmp(), "run");
  assertThrows(() => store.addTable("", { a: "int" }), TypeError, "table name");
  assertThrows(() => store.addTable("a//b", { a: "int" }), TypeError, `"a//b"`);
  assertThrows(() => store.addTable("/a", { a: "int" }), TypeError, `"/a"`);
  assertThrows(
    // @ts-expect-error: "double" is not a column kind
    () => store.addTable("t", { a: "double" }),
    TypeError,
    `column "a"`,
    `"double"`,
  );
  const t = store.addTable("t", { a: "int", b: "str" });
  assertOk(
    store.addTable("t", { a: "int", b: "str" }) === t,
    "same schema gives the same table",
  );
  assertThrows(
    () => store.addTable("t", { a: "float", b: "str" }),
    TypeError,
    `"t"`,
    "a: int, b: str",
  );
});

Deno.test("addTableLikeExample() infers kinds as cox's schema_from_dict", async () => {
  using store = await Store.open(await tmp(), "run");
  const t = store.addTableLikeExample("t", {
    lr: 0.1,
    epochs: 3,
    name: "sgd",
    nesterov: false,
    betas: [0.9],
  });
  assertEquals(t.schema, {
    lr: "float",
    epochs: "int",
    name: "str",
    nesterov: "bool",
    betas: OBJECT,
  });
  const p = store.addTableLikeExample("p", { w: { a: 1 } }, PICKLE);
  assertEquals(p.schema, { w: PICKLE });
});

Deno.test("table() names the tables that exist when asked for another", async () => {
  using store = await Store.open(await tmp(), "run");
  store.addTable("alpha", { a: "int" });
  store.addTable("beta", { a: "int" });
  assertThrows(
    () => store.table("gamma"),
    RangeError,
    `"gamma"`,
    `"alpha", "beta"`,
  );
});

Deno.test("updateRow() and flushRow() stage one row; errors keep it and name table and column", async () => {
  using store = await Store.open(await tmp(), "run");
  const t = store.addTable("res", {
    x: "float",
    n: "int",
    s: "str",
    ok: "bool",
  });
  t.updateRow({ x: 1.5 });
  assertThrows(
    // @ts-expect-error: a string is not a float
    () => t.updateRow({ x: "1.5" }),
    TypeError,
    `column "x"`,
    `table "res"`,
    "a number",
  );
  assertThrows(
    // @ts-expect-error: no such column
    () => t.updateRow({ y: 1 }),
    RangeError,
    `"y"`,
    `table "res"`,
    `"x", "n", "s", "ok"`,
  );
  assertThrows(
    () => t.updateRow({ n: 1.5 }),
    RangeError,
    `column "n"`,
    "integer",
  );
  assertThrows(
    () => t.updateRow({ n: 1, s: 3 as unknown as string }),
    TypeError,
    `column "s"`,
  );
  assertEquals(t.workingRow, { x: 1.5 }, "a rejected update changes nothing");
  assertThrows(() => t.flushRow(), RangeError, `table "res"`, `"n", "s", "ok"`);
  assertEquals(t.nrows, 0);
  t.updateRow({ n: 2, s: "two", ok: true });
  t.flushRow();
  assertEquals(t.nrows, 1);
  assertEquals(t.workingRow, {});
  assertEquals(t.rows(), [{ x: 1.5, n: 2, s: "two", ok: true }]);
  assertThrows(
    () => t.appendRow({ x: 1, n: 1, s: "a" } as never),
    RangeError,
    `"ok"`,
  );
  assertEquals(t.nrows, 1);
});

Deno.test("int columns keep int64 exactly: numbers when safe, bigints past 2^53", async () => {
  const dir = await tmp();
  const values = [
    0,
    -1,
    2 ** 53 - 1,
    -(2 ** 53 - 1),
    2n ** 53n,
    2n ** 63n - 1n,
    -(2n ** 63n),
    12n,
  ];
  {
    using store = await Store.open(dir, "run");
    const t = store.addTable("i", { v: "int" });
    for (const v of values) t.appendRow({ v });
    assertThrows(
      () => t.appendRow({ v: 2n ** 63n }),
      RangeError,
      "outside int64",
    );
    assertThrows(() => t.appendRow({ v: 2 ** 53 }), RangeError, "safe integer");
  }
  using store = await Store.open(dir, "run", { mode: "r" });
  assertEquals(store.table("i").columns().v, [
    0,
    -1,
    2 ** 53 - 1,
    -(2 ** 53 - 1),
    2n ** 53n,
    2n ** 63n - 1n,
    -(2n ** 63n),
    12,
  ]);
});

Deno.test("float columns keep NaN, infinities and -0; str columns any Unicode", async () => {
  const dir = await tmp();
  const floats = [NaN, Infinity, -Infinity, -0, 5e-324, 1.7976931348623157e308];
  const strings = [
    "",
    "ascii",
    "ünïcödé",
    "日本語",
    "emoji 🎉 𝄞",
    "x".repeat(1000),
  ];
  {
    using store = await Store.open(dir, "run");
    const t = store.addTable("v", { f: "float", s: "str" });
    floats.forEach((f, i) => t.appendRow({ f, s: strings[i] }));
    assertThrows(
      () => t.appendRow({ f: 1, s: "\ud800" }),
      TypeError,
      "surrogate",
    );
  }
  using store = await Store.open(dir, "run", { mode: "r" });
  assertEquals(store.table("v").columns(), { f: floats, s: strings });
});

Deno.test("rows(), columns() and nrows include rows flushed but not yet written", async () => {
  const dir = await tmp();
  using store = await Store.open(dir, "run", { flushMs: 60_000 });
  const t = store.addTable("t", { a: "int" });
  t.appendRow({ a: 1 });
  store.flush();
  t.appendRow({ a: 2 });
  assertEquals(t.nrows, 2);
  assertEquals(t.rows(), [{ a: 1 }, { a: 2 }]);
  using reader = await Store.open(dir, "run", { mode: "r" });
  assertEquals(reader.table("t").nrows, 1, "only the flushed row is on disk");
});

Deno.test("pending rows are written within flushMs while the store stays open", async () => {
  const dir = await tmp();
  using store = await Store.open(dir, "run", { flushMs: 30 });
  const t = store.addTable("t", { a: "int" });
  t.appendRow({ a: 1 });
  t.appendRow({ a: 2 });
  await new Promise((r) => setTimeout(r, 300));
  using reader = await Store.open(dir, "run", { mode: "r" });
  assertEquals(reader.table("t").rows(), [{ a: 1 }, { a: 2 }]);
});

Deno.test("a reopened store finds its tables and appends after their rows", async () => {
  const dir = await tmp();
  for (let round = 0; round < 3; round++) {
    using store = await Store.open(dir, "run");
    const t = store.addTable("t", { round: "int", tag: "str" });
    assertEquals(t.nrows, round * 2);
    t.appendRow({ round, tag: `r${round}` });
    t.appendRow({ round, tag: `r${round}`.repeat(round * 40) });
  }
  using store = await Store.open(dir, "run", { mode: "r" });
  assertEquals(store.table("t").columns().round, [0, 0, 1, 1, 2, 2]);
  assertEquals(store.table("t").columns().tag.at(-1), "r2".repeat(80));
});

Deno.test("toString() prints tables as cox's str(store)", async () => {
  using store = await Store.open(await tmp(), "run");
  const t = store.addTable("res", { x: "float", n: "int", ok: "bool" });
  t.appendRow({ x: 0.5, n: 1, ok: true });
  t.appendRow({ x: 1.25, n: 20, ok: false });
  assertEquals(
    String(store),
    "-- Table: res --\n" +
      "      x   n     ok\n" +
      "0  0.50   1   True\n" +
      "1  1.25  20  False\n",
  );
  for (let i = 0; i < 5; i++) t.appendRow({ x: i, n: i, ok: true });
  assertEquals(String(store).split("\n").at(-2), " ... (7 rows hidden)");
});

Deno.test("table.df() is an Arquero table of the stored cells, as cox's table.df", async () => {
  using store = await Store.open(await tmp(), "run");
  const t = store.addTable("t", { x: "float", o: OBJECT });
  t.appendRow({ x: 0.5, o: [1, 2] });
  const df = t.df();
  assertEquals(df.columnNames(), ["x", "o"]);
  assertEquals(df.array("x"), [0.5]);
  assertOk(
    typeof df.get("o", 0) === "string" &&
      (df.get("o", 0) as string).startsWith("gASV"),
  );
  assertEquals(t.decodedColumns(), { x: [0.5], o: [[1, 2]] });
  assertEquals(
    String(t),
    "     x                               o\n0  0.5  gASVCQAAAAAAAABdlChLAUsCZS4=\\n",
  );
});

Deno.test("flushBytes: a loop that never waits writes its rows once they take about that many bytes", async () => {
  const dir = await Deno.makeTempDir();
  using store = await Store.open(dir, "run", {
    flushMs: 1e9,
    flushBytes: 64 * 1024,
  });
  const log = store.addTable("log", { loss: "float", tag: "str" });
  // about 8 + 8 + 2 * 10 bytes a row: 64 KiB is reached within 2,000 rows
  for (let i = 0; i < 4000; i++) {
    log.appendRow({ loss: i, tag: `run-${String(i).padStart(6, "0")}` });
  }
  assertEquals(log.nrows, 4000);
  // a reader sees the rows written so far; the check runs every 256 rows
  using reader = await Store.open(dir, "run", { mode: "r" });
  const seen = reader.table("log").nrows;
  assertEquals(seen >= 2048 && seen < 4000, true, `reader saw ${seen} rows`);
  assertEquals(reader.table("log").rows()[1999], {
    loss: 1999,
    tag: "run-001999",
  });
});

Deno.test("flushBytes must be a positive number", async () => {
  const dir = await Deno.makeTempDir();
  await assertRejects(
    () => Store.open(dir, "run", { flushBytes: 0 }),
    RangeError,
    "Cannot use flushBytes 0: expected a positive number of bytes",
  );
});

Deno.test("a row refused half-way leaves nothing behind: the next row is packed over it", async () => {
  const dir = await Deno.makeTempDir();
  {
    using store = await Store.open(dir, "run");
    const t = store.addTable("t", { tag: "str", big: "int", x: "float" });
    t.appendRow({ tag: "a", big: 1, x: 0.5 });
    // a bigint, a null tag and a wide tag taken before x is refused
    assertThrows(
      () => t.appendRow({ tag: null, big: 2n ** 60n, x: "no" as never }),
      TypeError,
      'column "x" of table "t"',
    );
    assertThrows(
      () => t.appendRow({ tag: "w".repeat(100), big: 3, x: "no" as never }),
      TypeError,
      'column "x" of table "t"',
    );
    assertThrows(
      () => t.appendRow({ tag: "b", big: 3 } as never),
      RangeError,
      'missing "x"',
    );
    assertEquals(t.nrows, 1);
    t.appendRow({ tag: "é", big: 7, x: 1.5 });
    const expected = [
      { tag: "a", big: 1, x: 0.5 },
      { tag: "é", big: 7, x: 1.5 },
    ];
    assertEquals(t.rows(), expected);
    store.flush();
    assertEquals(t.rows(), expected);
  }
  using reader = await Store.open(dir, "run", { mode: "r" });
  assertEquals(reader.table("t").rows(), [
    { tag: "a", big: 1, x: 0.5 },
    { tag: "é", big: 7, x: 1.5 },
  ]);
});

Deno.test("rows flushed while a reader holds store.h5 wait in the journal, and every row comes out once, in order", async () => {
  const dir = await Deno.makeTempDir();
  const rows = (n: number, tag: string, from: number) =>
    Array.from({ length: n }, (_, i) => ({ i: from + i, tag: `${tag}${i}` }));
  const long = rows(500, "long-tag-".repeat(3), 0);
  const middle = rows(300, "middle-", 500);
  const short = rows(200, "s", 800);
  using store = await Store.open(dir, "run", { flushMs: 600_000 });
  const t = store.addTable("t", { i: "int", tag: "str" });
  for (const row of long) t.appendRow(row);
  store.flush(); // in store.h5
  // a reader holding store.h5 (as pandas does) keeps the next rows in the journal
  const held = Deno.openSync(join(dir, "run", "store.h5"), { read: true });
  held.lockSync(false);
  try {
    for (const row of middle) t.appendRow(row);
    store.flush();
    for (const row of short) t.appendRow(row);
    store.flush();
    assertEquals(t.rows(), [...long, ...middle, ...short]);
  } finally {
    held.unlockSync();
    held.close();
  }
  store.flush();
  for (const row of rows(100, "x", 1000)) t.appendRow(row);
  store.close();
  using reader = await Store.open(dir, "run", { mode: "r" });
  assertEquals(reader.table("t").rows(), [
    ...long,
    ...middle,
    ...short,
    ...rows(100, "x", 1000),
  ]);
  assertEquals(Deno.statSync(join(dir, "run", "store.h5.journal")).size, 0);
});

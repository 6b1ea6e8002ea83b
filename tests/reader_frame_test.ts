// CollectionReader.df building its columns run by run: int and float runs of
// one column, columns missing from a run, runs that grew after the reader
// opened them (the columns grow), and OBJECT columns (decoded cells).
import { CollectionReader, Store } from "../mod.ts";
import { assertEquals, assertOk } from "./assert.ts";

async function sweep(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "cox-frame-" });
  {
    using a = await Store.open(dir, "a");
    const t = a.addTable("log", { x: "float", i: "int", s: "str" });
    for (let r = 0; r < 3; r++) t.appendRow({ x: r / 4, i: r, s: `a${r}` });
  }
  {
    // "i" is float here: the frame's column is float, a's ints included
    using b = await Store.open(dir, "b");
    const t = b.addTable("log", { x: "float", i: "float", s: "str" });
    t.appendRow({ x: -1.5, i: 2.5, s: "nan" });
  }
  {
    using c = await Store.open(dir, "c");
    const t = c.addTable("log", { x: "float", s: "str" }); // no "i"
    t.appendRow({ x: 7, s: "ünï" });
  }
  return dir;
}

Deno.test("df joins int and float runs of a column as floats, fills a missing column with null", async () => {
  const dir = await sweep();
  using reader = await CollectionReader.open(dir, { progress: false });
  const df = reader.df("log", { unionSchemas: true });
  assertEquals(df.columnNames(), ["x", "i", "s", "exp_id"]);
  assertEquals(Array.from(df.array("x") as Float64Array), [
    0,
    0.25,
    0.5,
    -1.5,
    7,
  ]);
  assertOk(df.column("x") instanceof Float64Array, "x is a Float64Array");
  // "i" is missing from c: an array of cells with null there
  assertEquals(Array.from(df.array("i") as number[]), [0, 1, 2, 2.5, null]);
  // pandas' "nan" string marker reads as a missing value
  assertEquals(Array.from(df.array("s") as string[]), [
    "a0",
    "a1",
    "a2",
    null,
    "ünï",
  ]);
  assertEquals(Array.from(df.array("exp_id") as string[]), [
    "a",
    "a",
    "a",
    "b",
    "c",
  ]);
  let message = "";
  try {
    reader.df("log");
  } catch (error) {
    message = (error as Error).message;
  }
  assertOk(message.includes('run c lacks "i"'), message);
});

Deno.test("df reads the rows a run has now, past those counted when the reader opened it", async () => {
  const dir = await sweep();
  using reader = await CollectionReader.open(dir, {
    progress: false,
    expFilter: (id) => id !== "c",
  });
  {
    using a = await Store.open(dir, "a");
    const t = a.table("log");
    for (let r = 3; r < 2000; r++) t.appendRow({ x: r / 4, i: r, s: `a${r}` });
  }
  const df = reader.df("log");
  assertEquals(df.numRows(), 2001);
  const x = df.array("x") as Float64Array;
  assertEquals(x.length, 2001);
  assertEquals([x[0], x[1999], x[2000]], [0, 1999 / 4, -1.5]);
  const i = Array.from(df.array("i") as ArrayLike<number>);
  assertEquals([i[0], i[1999], i[2000]], [0, 1999, 2.5]);
  const ids = Array.from(df.array("exp_id") as string[]);
  assertEquals(ids.filter((id) => id === "a").length, 2000);
  assertEquals(ids.at(-1), "b");
});

Deno.test("df decodes OBJECT cells (and keeps them serialized when asked)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cox-frame-obj-" });
  {
    using s = await Store.open(dir, "run");
    const t = s.addTable("m", { o: "__object__", v: "float" });
    t.appendRow({ o: { k: [1, 2] }, v: 1 });
    t.appendRow({ o: "text", v: 2 });
  }
  using reader = await CollectionReader.open(dir, { progress: false });
  const df = reader.df("m");
  const o = Array.from(df.array("o") as unknown[]);
  assertEquals(o[1], "text");
  assertEquals(JSON.stringify(o[0]), JSON.stringify({ k: [1, 2] }));
  assertEquals(Array.from(df.array("v") as Float64Array), [1, 2]);
  const kept = reader.df("m", { keepSerialized: ["o"] });
  assertOk(typeof kept.array("o")[0] === "string", "a serialized cell");
});

// The journal of flushed rows: framed, checksummed batches; a batch cut short
// or damaged is ignored and reported; rows only in the journal are found by
// readers and put into store.h5 by the next writer.
import { join } from "node:path";
import { assertEquals, assertOk } from "./assert.ts";
import { Store } from "../mod.ts";
import { encodeRows } from "../src/h5/frame_table.ts";
import { planLayout } from "../src/h5/layout.ts";
import {
  encodeBatch,
  type JournalBatch,
  JournalWriter,
  readJournal,
} from "../src/run/journal.ts";
import { ignoreUnless, runPython } from "./interop/python.ts";
import { quietly } from "./warnings.ts";

function batch(start: number, values: number[]): JournalBatch {
  const layout = planLayout("t", [{ name: "a", kind: "int" }, {
    name: "s",
    kind: "str",
    width: 32,
  }]);
  const cells = [values, values.map((v) => `v${v}`)];
  return {
    table: "t",
    schema: { a: "int", s: "str" },
    start,
    count: values.length,
    layout,
    bytes: encodeRows(layout, cells, start),
  };
}

Deno.test("readJournal() gives back the batches written, and where they end", async () => {
  const path = join(await Deno.makeTempDir(), "j");
  const w = new JournalWriter(path, 0);
  w.append([batch(0, [1, 2])]);
  w.append([batch(2, [3]), batch(3, [4, 5, 6])]);
  const read = readJournal(path);
  assertEquals(read.damage, undefined);
  assertEquals(read.batches.map((b) => [b.start, b.count]), [[0, 2], [2, 1], [
    3,
    3,
  ]]);
  assertEquals(read.end, Deno.statSync(path).size);
  assertEquals(read.batches[2].bytes, batch(3, [4, 5, 6]).bytes);
});

Deno.test("readJournal() stops at a batch cut short or damaged, and says where", async () => {
  const path = join(await Deno.makeTempDir(), "j");
  const one = encodeBatch(batch(0, [1]));
  const two = encodeBatch(batch(1, [2]));
  for (let cut = 1; cut < two.length; cut += 7) {
    Deno.writeFileSync(path, new Uint8Array([...one, ...two.subarray(0, cut)]));
    const read = readJournal(path);
    assertEquals(read.batches.length, 1, `cut at ${cut}`);
    assertEquals(read.end, one.length);
    assertOk(read.damage?.includes(`byte ${one.length}`), read.damage);
  }
  const flipped = new Uint8Array([...one, ...two]);
  flipped[one.length + 20] ^= 0x40;
  Deno.writeFileSync(path, flipped);
  const read = readJournal(path);
  assertEquals(read.batches.length, 1);
  assertOk(
    read.damage?.includes("CRC") || read.damage?.includes("crc"),
    read.damage,
  );
  // a writer goes on from the intact part, over the damaged bytes
  new JournalWriter(path, read.end).append([batch(1, [9])]);
  assertEquals(readJournal(path).batches.map((b) => b.start), [0, 1]);
  assertEquals(readJournal(path).damage, undefined);
});

Deno.test({
  name:
    "rows only in the journal (a writer killed before store.h5) are read, then recovered for pandas",
  ignore: await ignoreUnless(["pandas", "tables"]),
  async fn() {
    const dir = await Deno.makeTempDir();
    {
      using store = await Store.open(dir, "run");
      store.addTable("t", { a: "int", s: "str" }).appendRow({ a: 0, s: "v0" });
    }
    // what a writer leaves when killed after syncing the journal and before store.h5 was replaced
    const journal = join(dir, "run", "store.h5.journal");
    new JournalWriter(journal, 0).append([batch(1, [1, 2]), batch(3, [3])]);
    Deno.writeFileSync(journal, new Uint8Array([1, 2, 3]), { append: true }); // and half of a next batch
    {
      const { value: reader, warnings } = await quietly(() =>
        Store.open(dir, "run", { mode: "r" })
      );
      assertEquals(reader.table("t").columns().a, [0, 1, 2, 3]);
      assertEquals(reader.table("t").nrows, 4);
      assertOk(
        warnings.some((w) =>
          w.includes("ignored the end of") && w.includes(journal)
        ),
        String(warnings),
      );
      reader.close();
    }
    const before = JSON.parse(
      await runPython(["pandas", "tables"], "store_tool.py", [
        "read",
        join(dir, "run", "store.h5"),
      ]),
    );
    assertEquals(before.t.nrows, 1, "pandas sees store.h5 only");
    const opened = await quietly(() => Store.open(dir, "run"));
    opened.value.close();
    assertOk(
      opened.warnings.some((w) => w.includes('recovered 3 rows of table "t"')),
      String(opened.warnings),
    );
    const after = JSON.parse(
      await runPython(["pandas", "tables"], "store_tool.py", [
        "read",
        join(dir, "run", "store.h5"),
      ]),
    );
    assertEquals(after.t.rows.map((r: { a: string }) => r.a), [
      "0",
      "1",
      "2",
      "3",
    ]);
    assertEquals(after.t.rows.map((r: { s: string }) => r.s), [
      "v0",
      "v1",
      "v2",
      "v3",
    ]);
    assertEquals(Deno.statSync(journal).size, 0);
  },
});

Deno.test("a table created, filled and widened only in the journal comes out whole", async () => {
  const dir = await Deno.makeTempDir();
  (await Store.open(dir, "run")).close();
  const narrow = planLayout("t", [{ name: "a", kind: "int" }, {
    name: "s",
    kind: "str",
    width: 32,
  }]);
  const wide = planLayout("t", [{ name: "a", kind: "int" }, {
    name: "s",
    kind: "str",
    width: 128,
  }]);
  const long = "x".repeat(100);
  const batches: JournalBatch[] = [
    {
      table: "t",
      schema: { a: "int", s: "str" },
      start: 0,
      count: 1,
      layout: narrow,
      bytes: encodeRows(narrow, [[0], ["short"]], 0),
    },
    {
      table: "t",
      schema: { a: "int", s: "str" },
      start: 1,
      count: 1,
      layout: wide,
      bytes: encodeRows(wide, [[1], [long]], 1),
    },
  ];
  new JournalWriter(join(dir, "run", "store.h5.journal"), 0).append(batches);
  const { value } = await quietly(() => Store.open(dir, "run"));
  value.close();
  using reader = await Store.open(dir, "run", { mode: "r" });
  assertEquals(reader.table("t").rows(), [{ a: 0, s: "short" }, {
    a: 1,
    s: long,
  }]);
});

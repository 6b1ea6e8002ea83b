// Table.appendColumns: whole columns in one call, checked up front, read back
// by our reader and by pandas.
import { join } from "node:path";
import { assertEquals, assertThrows } from "./assert.ts";
import { Store } from "../mod.ts";
import { ignoreUnless, runPython } from "./interop/python.ts";

const MODULES = ["pandas", "tables"];
const ignore = await ignoreUnless(MODULES);

const SCHEMA = { loss: "float", epoch: "int", tag: "str" } as const;

Deno.test("appendColumns: values round-trip, after and before appendRow rows", async () => {
  const dir = await Deno.makeTempDir();
  {
    using store = await Store.open(dir, "run");
    const log = store.addTable("log", SCHEMA);
    log.appendRow({ loss: 0.5, epoch: 0, tag: "first" });
    log.appendColumns({
      loss: new Float64Array([1.25, NaN, -0]),
      epoch: new BigInt64Array([1n, 2n ** 62n + 1n, -(2n ** 63n)]),
      tag: ["a", "é€😀", null],
    });
    log.appendRow({ loss: 9, epoch: 9, tag: "last" });
    log.appendColumns({ loss: [2, 3], epoch: [7, 8n], tag: ["x", "y"] });
    assertEquals(log.nrows, 7);
  }
  using reader = await Store.open(dir, "run", { mode: "r" });
  assertEquals(reader.table("log").columns(), {
    loss: [0.5, 1.25, NaN, -0, 9, 2, 3],
    epoch: [0, 1, 2n ** 62n + 1n, -(2n ** 63n), 9, 7, 8],
    tag: ["first", "a", "é€😀", null, "last", "x", "y"],
  });
});

Deno.test("appendColumns: a long append spans journal slices and a staged row stays staged", async () => {
  const dir = await Deno.makeTempDir();
  const n = 200_000;
  const loss = new Float64Array(n).map((_, i) => i / 8);
  const epoch = new BigInt64Array(n).map((_, i) => BigInt(i) * 1_000_003n);
  const tag = Array.from({ length: n }, (_, i) => `run-${i}`);
  {
    using store = await Store.open(dir, "run");
    const log = store.addTable("log", SCHEMA);
    log.updateRow({ loss: -1 });
    log.appendColumns({ loss, epoch, tag });
    log.updateRow({ epoch: -1, tag: "staged" });
    log.flushRow();
  }
  using reader = await Store.open(dir, "run", { mode: "r" });
  const rows = reader.table("log").rows();
  assertEquals(rows.length, n + 1);
  for (const i of [0, 65_535, 65_536, 131_072, n - 1]) {
    assertEquals(rows[i], {
      loss: i / 8,
      epoch: i * 1_000_003,
      tag: `run-${i}`,
    });
  }
  assertEquals(rows[n], { loss: -1, epoch: -1, tag: "staged" });
});

Deno.test("appendColumns: rows past several APPEND_GROUP_BYTES, long strings then short ones, read back whole (no slice keeps bytes of the one before)", async () => {
  const { APPEND_GROUP_BYTES } = await import("../src/run/store.ts");
  const dir = await Deno.makeTempDir();
  // rows of 8 (index) + 8 + 32 bytes: this many make three groups
  const n = Math.ceil((2.5 * APPEND_GROUP_BYTES) / 48);
  const x = new Float64Array(n).map((_, i) => i);
  // long text in the first group, one letter after: a stale byte would show
  const tag = Array.from(
    { length: n },
    (_, i) => i < n / 3 ? `long-tag-${String(i).padStart(20, "x")}` : "s",
  );
  {
    using store = await Store.open(dir, "run");
    store.addTable("t", { x: "float", tag: "str" }).appendColumns({ x, tag });
  }
  using reader = await Store.open(dir, "run", { mode: "r" });
  const t = reader.table("t");
  assertEquals(t.nrows, n);
  for (const i of [0, Math.floor(n / 3) - 1, Math.ceil(n / 3), n - 1]) {
    assertEquals(t.rows({ start: i, stop: i + 1 }), [{ x: i, tag: tag[i] }]);
  }
  // every row of the later groups, whole
  const late = t.columns({ start: Math.ceil(n / 3) });
  assertEquals(late.tag.every((s) => s === "s"), true);
  assertEquals(late.x[late.x.length - 1], n - 1);
});

Deno.test("appendColumns: a bulk append goes into store.h5 once, past its end, with little overwritten; none of it in the journal", async () => {
  const { lastUpdateStats } = await import("../src/run/in_place.ts");
  const dir = await Deno.makeTempDir();
  const n = 300_000;
  using store = await Store.open(dir, "run");
  const log = store.addTable("log", SCHEMA);
  log.appendRow({ loss: 1, epoch: 1, tag: "run-00000" });
  store.flush();
  const journal = join(dir, "run", "store.h5.journal");
  log.appendColumns({
    loss: new Float64Array(n).fill(0.25),
    epoch: new BigInt64Array(n).fill(3n),
    tag: Array.from({ length: n }, (_, i) => `run-${i}`.padStart(9, "0")),
  });
  // rows of 8 (index) + 8 + 8 + 32 bytes (a string column is made roomy):
  // every byte of them written once, into store.h5, in the update that
  // returned before appendColumns did
  const stats = lastUpdateStats();
  assertEquals(stats.appended >= n * 56, true, `appended ${stats.appended}`);
  assertEquals(
    stats.appended < n * 56 * 1.05,
    true,
    `appended ${stats.appended}`,
  );
  assertEquals(
    stats.overwritten < 64 << 10,
    true,
    `overwrote ${stats.overwritten}`,
  );
  assertEquals(Deno.statSync(journal).size < 4096, true);
  assertEquals(log.nrows, n + 1);
  // the rows are in store.h5 already: a reader of the running run sees them
  using reader = await Store.open(dir, "run", { mode: "r" });
  const t = reader.table("log");
  assertEquals(t.nrows, n + 1);
  assertEquals(t.rows({ start: n, stop: n + 1 }), [{
    loss: 0.25,
    epoch: 3,
    tag: `run-${n - 1}`.padStart(9, "0"),
  }]);
});

Deno.test("appendColumns: a bad column or value throws, naming it, and appends nothing", async () => {
  const dir = await Deno.makeTempDir();
  using store = await Store.open(dir, "run");
  const log = store.addTable("log", SCHEMA);
  log.appendRow({ loss: 1, epoch: 1, tag: "kept" });
  assertThrows(
    () => log.appendColumns({ loss: [1, 2], epoch: [1, 2.5], tag: ["a", "b"] }),
    RangeError,
    `int column "epoch" of table "log"`,
    "2.5",
    "row 1 of the columns given to appendColumns",
  );
  assertThrows(
    () =>
      log.appendColumns({
        loss: [1, 2],
        epoch: [1, 2],
        tag: ["a", 3] as unknown as string[],
      }),
    TypeError,
    `str column "tag" of table "log"`,
    "row 1",
  );
  assertThrows(
    () => log.appendColumns({ loss: [1, 2], epoch: [1], tag: ["a", "b"] }),
    RangeError,
    `table "log"`,
    `column "epoch" has 1 values but "loss" has 2`,
  );
  assertThrows(
    () => log.appendColumns({ loss: [1], epoch: [1] } as never),
    RangeError,
    `column "tag" is missing`,
  );
  assertThrows(
    () =>
      log.appendColumns(
        { loss: [1], epoch: [1], tag: ["a"], lr: [1] } as never,
      ),
    RangeError,
    `no column "lr"`,
  );
  assertThrows(
    () => log.appendColumns({ loss: 1, epoch: [1], tag: ["a"] } as never),
    TypeError,
    `column "loss" is number 1`,
  );
  assertEquals(log.nrows, 1);
  store.close();
  using reader = await Store.open(dir, "run", { mode: "r" });
  assertEquals(reader.table("log").rows(), [{
    loss: 1,
    epoch: 1,
    tag: "kept",
  }]);
});

Deno.test({
  name: "appendColumns: pandas reads the rows, int64 exact, unicode and NaN",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    const n = 70_000;
    {
      using store = await Store.open(dir, "run");
      const log = store.addTable("log", SCHEMA);
      log.appendRow({ loss: 0.5, epoch: 0, tag: "first" });
      log.appendColumns({
        loss: new Float64Array(n).map((_, i) => i === 3 ? NaN : i / 4),
        epoch: new BigInt64Array(n).map((_, i) => 2n ** 62n + BigInt(i)),
        tag: Array.from({ length: n }, (_, i) => i === 5 ? "é€😀" : `run-${i}`),
      });
    }
    // Python's json writes NaN as a bare token
    const out = JSON.parse(
      (await runPython(MODULES, "table_rows.py", [
        join(dir, "run", "store.h5"),
        "log",
        "0",
        "4",
        "6",
        String(n),
      ])).replaceAll("NaN", '"NaN"'),
    );
    assertEquals(out.nrows, n + 1);
    assertEquals(out.rows["0"], {
      loss: 0.5,
      epoch: "0",
      tag: "first",
      index: "0",
    });
    assertEquals(out.rows["4"].loss, "NaN");
    assertEquals(out.rows["4"].epoch, String(2n ** 62n + 3n));
    assertEquals(out.rows["6"], {
      loss: 5 / 4,
      epoch: String(2n ** 62n + 5n),
      tag: "é€😀",
      index: "6",
    });
    assertEquals(out.rows[String(n)], {
      loss: (n - 1) / 4,
      epoch: String(2n ** 62n + BigInt(n - 1)),
      tag: `run-${n - 1}`,
      index: String(n),
    });
  },
});

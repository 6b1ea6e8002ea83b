// cox export / exportSweep / toParquet / toArrow: our Parquet read back by
// DuckDB (an independent reader) and compared, value by value, type by type,
// with CollectionReader.df on the runs Python cox wrote and on a generated
// sweep with the awkward values (2^60, NaN, infinities, Unicode, objects).
import { join } from "node:path";
import { tableFromIPC } from "npm:@uwdata/flechette@2.6.0";
import { assertEquals, assertOk, assertRejects } from "./assert.ts";
import {
  CollectionReader,
  type ExportResult,
  exportSweep,
  OBJECT,
  PICKLE,
  PYTORCH_STATE,
  type Schema,
  Store,
} from "../mod.ts";
import { toArrow, toParquet } from "../export.ts";
import { convertCells, jsonText } from "../src/export/columns.ts";
import { exportLimits } from "../src/export/sweep.ts";
import { utf8Order } from "../src/export/parquet.ts";
import { planTensorboard } from "../src/cli/tensorboard.ts";
import { main } from "../src/cli/main.ts";
import { OptionError } from "../src/sweep/errors.ts";
import { FIXTURES } from "./fixtures.ts";
import { query, sqlString } from "./duckdb.ts";
import { quietly } from "./warnings.ts";

const DUCK_TYPE: Record<string, string> = {
  int: "BIGINT",
  float: "DOUBLE",
  bool: "BOOLEAN",
  str: "VARCHAR",
  [OBJECT]: "VARCHAR",
  [PICKLE]: "VARCHAR",
  [PYTORCH_STATE]: "VARCHAR",
};

/** What a df() cell should read back as from our Parquet. */
function expectedCell(value: unknown, kind: string): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case "int":
      return BigInt(value as number | bigint);
    case "float":
      return Number(value);
    case OBJECT:
    case PICKLE:
      return jsonText(value);
    default:
      return value;
  }
}

async function exportQuietly(
  dir: string,
  out: string,
  options: Parameters<typeof exportSweep>[2] = {},
): Promise<{ value: ExportResult; warnings: string[] }> {
  return await quietly(() =>
    exportSweep(dir, out, { progress: false, ...options })
  );
}

/** Checks a DuckDB result against reader.df(table): names, types, every value. */
function checkAgainstDf(
  got: { names: string[]; types: string[]; rows: unknown[][] },
  reader: CollectionReader,
  table: string,
  label: string,
): void {
  const schema = reader.schemas[table];
  const df = reader.df(table, { unionSchemas: true });
  const names = ["exp_id", ...Object.keys(schema)];
  assertEquals(got.names, names, `${label}: columns`);
  assertEquals(
    got.types,
    ["VARCHAR", ...Object.values(schema).map((k) => DUCK_TYPE[k])],
    `${label}: types`,
  );
  assertEquals(got.rows.length, df.numRows(), `${label}: rows`);
  const kinds: Record<string, string> = { ...schema, exp_id: "str" };
  names.forEach((name, c) => {
    const want = Array.from(df.array(name) as ArrayLike<unknown>).map((v) =>
      expectedCell(v, kinds[name])
    );
    assertEquals(got.rows.map((r) => r[c]), want, `${label}: column ${name}`);
  });
}

for (const collection of ["walkthrough1", "walkthrough2", "types"]) {
  Deno.test(`export of fixture ${collection}: DuckDB reads what CollectionReader.df gives`, async () => {
    const dir = join(FIXTURES, collection);
    const out = await Deno.makeTempDir({ prefix: "cox-export-" });
    const { value: result } = await exportQuietly(dir, out);
    using reader = await CollectionReader.open(dir, { progress: false });
    assertEquals(result.tables, [...reader.tables]);
    for (const table of reader.tables) {
      const path = join(out, `${table}.parquet`);
      assertOk(result.written.includes(path));
      const got = await query(
        `SELECT * FROM read_parquet(${sqlString(path)})`,
      );
      checkAgainstDf(got, reader, table, `${collection}/${table}`);
      const kv = await query(
        `SELECT decode(key), decode(value) FROM parquet_kv_metadata(${
          sqlString(path)
        })`,
      );
      const meta = Object.fromEntries(kv.rows as [string, string][]);
      assertEquals(meta["cox.table"], table);
      assertEquals(JSON.parse(meta["cox.schema"]), reader.schemas[table]);
    }
  });
}

Deno.test("export of OBJECT and PICKLE cells: the decoded values pandas' cox reads, as JSON", async () => {
  const out = await Deno.makeTempDir({ prefix: "cox-export-" });
  await exportQuietly(join(FIXTURES, "types"), out, { tables: ["kinds"] });
  const got = await query(
    `SELECT o, p FROM ${sqlString(join(out, "kinds.parquet"))}`,
  );
  const python = JSON.parse(
    await Deno.readTextFile(
      join(FIXTURES, "expected", "types.objects.json"),
    ),
  ) as { o: unknown; p: unknown }[];
  // the expected file writes ints past 2^53 as strings; ours keeps the digits as a JSON number
  assertEquals(python[3].o, "12345678901234567");
  assertEquals(got.rows[3][0], "12345678901234567");
  assertEquals(
    got.rows.map(([o, p], i) => ({
      o: i === 3 ? python[3].o : JSON.parse(o as string),
      p: JSON.parse(p as string),
    })),
    python.map(({ o, p }) => ({ o, p })),
  );
  assertEquals(got.rows[3][0], "12345678901234567");
});

const AWKWARD: Schema = {
  big: "int",
  x: "float",
  s: "str",
  ok: "bool",
  o: OBJECT,
  p: PICKLE,
};

/** Three runs with values that are hard to keep: 2^60, NaN, ±inf, -0, Unicode, objects. */
async function awkwardSweep(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "cox-export-sweep-" });
  const strings = [
    "",
    "é",
    "日本語",
    "🧪 emoji",
    "a\u0301",
    "line\nbreak",
    "NaN",
  ];
  const floats = [NaN, Infinity, -Infinity, -0, 1e-300, 0.1, 2 ** 53 + 2];
  const ints: (number | bigint)[] = [
    2n ** 60n,
    -(2n ** 63n),
    2n ** 63n - 1n,
    2n ** 53n + 1n,
    -1,
    0,
    7,
  ];
  for (let r = 0; r < 3; r++) {
    using store = await Store.open(dir, `run-${r}`);
    store.addTable("metadata", { lr: "float", name: "str" }).appendRow({
      lr: 10 ** -r,
      name: `run ${r}`,
    });
    const t = store.addTable("awkward", AWKWARD);
    for (let i = 0; i < 7; i++) {
      t.appendRow({
        big: ints[(i + r) % 7],
        x: floats[(i + r) % 7],
        s: strings[(i + r) % 7],
        ok: (i + r) % 2 === 0,
        o: { step: i, tags: ["a", r], nested: { big: 2n ** 60n } },
        p: [i, 1.5, null, "ü"],
      });
    }
  }
  return dir;
}

Deno.test("export of a generated sweep: ints past 2^53, NaN and infinities, Unicode, objects", async () => {
  const dir = await awkwardSweep();
  const out = await Deno.makeTempDir({ prefix: "cox-export-" });
  await exportQuietly(dir, out);
  using reader = await CollectionReader.open(dir, { progress: false });
  const got = await query(
    `SELECT * FROM ${sqlString(join(out, "awkward.parquet"))}`,
  );
  checkAgainstDf(got, reader, "awkward", "awkward");
  // spot checks, independent of the helper
  assertEquals(got.rows[0][1], 2n ** 60n);
  assertOk(Number.isNaN(got.rows[0][2]));
  assertEquals(got.rows[1][2], Infinity);
  assertEquals(got.rows[2][3], "日本語");
  assertEquals(
    JSON.parse(got.rows[0][5] as string),
    { step: 0, tags: ["a", 0], nested: { big: 1152921504606846976 } },
  );
  assertOk((got.rows[0][5] as string).includes("1152921504606846976"));
  const nan = await query(
    `SELECT count(*) FROM ${
      sqlString(join(out, "awkward.parquet"))
    } WHERE isnan(x)`,
  );
  assertEquals(nan.rows[0][0], 3n);
});

Deno.test("export --keep-serialized: OBJECT and PICKLE cells as stored; PYTORCH_STATE is always the uuid", async () => {
  const dir = join(FIXTURES, "types");
  const out = await Deno.makeTempDir({ prefix: "cox-export-" });
  await exportQuietly(dir, out, { tables: ["kinds"], keepSerialized: true });
  using reader = await CollectionReader.open(dir, { progress: false });
  const df = reader.df("kinds", { keepSerialized: ["o", "p"] });
  const got = await query(
    `SELECT o, p, t FROM ${sqlString(join(out, "kinds.parquet"))}`,
  );
  assertEquals(
    got.rows,
    (df.objects() as Record<string, unknown>[]).map((r) => [r.o, r.p, r.t]),
  );
});

Deno.test("export --partition: DuckDB's hive_partitioning read gives the same table", async () => {
  const dir = await awkwardSweep();
  const out = await Deno.makeTempDir({ prefix: "cox-export-" });
  const { value: result } = await exportQuietly(dir, out, { partition: true });
  assertEquals(result.written.length, 6); // 3 runs x 2 tables
  assertOk(
    result.written.includes(
      join(out, "awkward", "exp_id=run-1", "part-0.parquet"),
    ),
  );
  using reader = await CollectionReader.open(dir, { progress: false });
  const names = ["exp_id", ...Object.keys(AWKWARD)];
  const got = await query(
    `SELECT ${names.join(", ")} FROM read_parquet(${
      sqlString(join(out, "awkward", "*", "*.parquet"))
    }, hive_partitioning = true, file_row_number = true)
     ORDER BY exp_id, file_row_number`,
  );
  checkAgainstDf(got, reader, "awkward", "partitioned awkward");
});

async function mtimes(paths: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const p of paths) out.set(p, (await Deno.stat(p)).mtime!.getTime());
  return out;
}

/**
 * Sets the mtime of every file under `dir` 10 s back: a file changed within
 * RACY_MS of an export counts as changed at the next one (its mtime's clock
 * tick may hide a later change), so a test of unchanged runs ages them.
 */
function settle(dir: string): string {
  const past = new Date(Date.now() - 10_000);
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) walk(p);
      else if (e.isFile) Deno.utimeSync(p, past, past);
    }
  };
  walk(dir);
  return dir;
}

Deno.test("export --partition again: only the run that grew is rewritten; a run that is gone is removed", async () => {
  const dir = settle(await awkwardSweep());
  const out = await Deno.makeTempDir({ prefix: "cox-export-" });
  const first = (await exportQuietly(dir, out, { partition: true })).value;
  const before = await mtimes(first.written);
  await new Promise((r) => setTimeout(r, 20));

  const same = (await exportQuietly(dir, out, { partition: true })).value;
  assertEquals(same.written, []);
  assertEquals(same.unchanged, 6);

  {
    using store = await Store.open(dir, "run-1");
    store.table("awkward").appendRow({
      big: 5,
      x: 0.5,
      s: "new",
      ok: true,
      o: null,
      p: [],
    });
  }
  settle(join(dir, "run-1"));
  const grown = (await exportQuietly(dir, out, { partition: true })).value;
  assertEquals(
    grown.written.sort(),
    [
      join(out, "awkward", "exp_id=run-1", "part-0.parquet"),
      join(out, "metadata", "exp_id=run-1", "part-0.parquet"),
    ],
  );
  assertEquals(grown.unchanged, 4);
  const after = await mtimes(first.written);
  for (const [path, mtime] of before) {
    if (!path.includes("exp_id=run-1")) {
      assertEquals(after.get(path), mtime, `${path} untouched`);
    }
  }
  const count = await query(
    `SELECT exp_id, count(*) FROM read_parquet(${
      sqlString(join(out, "awkward", "*", "*.parquet"))
    }, hive_partitioning = true) GROUP BY exp_id ORDER BY exp_id`,
  );
  assertEquals(count.rows, [["run-0", 7n], ["run-1", 8n], ["run-2", 7n]]);

  // a partition cut short (a crash before the data reached the disk) is written again
  const cut = join(out, "metadata", "exp_id=run-0", "part-0.parquet");
  await Deno.truncate(cut, 0);
  const repaired = (await exportQuietly(dir, out, { partition: true })).value;
  assertEquals(repaired.written, [cut]);
  assertEquals(
    (await query(`SELECT lr FROM read_parquet(${sqlString(cut)})`)).rows,
    [[1]],
  );

  await Deno.remove(join(dir, "run-2"), { recursive: true });
  const shrunk = (await exportQuietly(dir, out, { partition: true })).value;
  assertEquals(shrunk.written, []);
  assertEquals(shrunk.removed.sort(), [
    join(out, "awkward", "exp_id=run-2"),
    join(out, "metadata", "exp_id=run-2"),
  ]);
  assertEquals(
    [...Deno.readDirSync(join(out, "awkward"))].map((e) => e.name).sort(),
    ["exp_id=run-0", "exp_id=run-1"],
  );
});

Deno.test("export --partition again: an unchanged run is not opened (its store.h5 is garbage of the same size and mtime) and keeps its partition", async () => {
  const dir = settle(await awkwardSweep());
  const out = await Deno.makeTempDir({ prefix: "cox-export-" });
  const first = (await exportQuietly(dir, out, { partition: true })).value;
  assertEquals(first.written.length, 6);
  const part = join(out, "awkward", "exp_id=run-1", "part-0.parquet");
  const bytes = await Deno.readFile(part);
  // run-1's store.h5 replaced by bytes no reader can open, same size, same mtime
  const storePath = join(dir, "run-1", "store.h5");
  const info = await Deno.stat(storePath);
  await Deno.writeFile(storePath, new Uint8Array(info.size).fill(0x5a));
  await Deno.utime(storePath, info.atime!, info.mtime!);
  const { value: again, warnings } = await exportQuietly(dir, out, {
    partition: true,
  });
  assertEquals(warnings, []);
  assertEquals(again.skipped, []);
  assertEquals(again.written, []);
  assertEquals(again.unchanged, 6);
  assertEquals(again.runs, ["run-0", "run-1", "run-2"]);
  assertEquals(again.tables, first.tables);
  assertEquals(await Deno.readFile(part), bytes);
  const count = await query(
    `SELECT exp_id, count(*) FROM read_parquet(${
      sqlString(join(out, "awkward", "*", "*.parquet"))
    }, hive_partitioning = true) GROUP BY exp_id ORDER BY exp_id`,
  );
  assertEquals(count.rows, [["run-0", 7n], ["run-1", 7n], ["run-2", 7n]]);

  // a changed mtime: the run is opened, cannot be read, and keeps its partition
  await Deno.utime(
    storePath,
    info.atime!,
    new Date(info.mtime!.getTime() + 5000),
  );
  const { value: third, warnings: w3 } = await exportQuietly(dir, out, {
    partition: true,
  });
  assertEquals(third.skipped, ["run-1"]);
  assertEquals(third.written, []);
  assertEquals(third.unchanged, 4);
  assertOk(w3.some((w) => w.includes("run-1")), w3.join("\n"));
  assertEquals(await Deno.readFile(part), bytes);

  // a table whose columns changed (a new run's metadata has one more) is
  // written again whole: the unchanged runs are opened for it, their other
  // tables left as they are
  {
    using store = await Store.open(dir, "run-3");
    store.addTable("metadata", { lr: "float", name: "str", seed: "int" })
      .appendRow({ lr: 2, name: "run 3", seed: 7 });
  }
  const fourth = (await exportQuietly(dir, out, { partition: true })).value;
  assertEquals(fourth.skipped, ["run-1"]);
  assertEquals(
    fourth.written.sort(),
    ["run-0", "run-2", "run-3"].map((id) =>
      join(out, "metadata", `exp_id=${id}`, "part-0.parquet")
    ),
  );
  assertEquals(fourth.unchanged, 2);
  const seeds = await query(
    `SELECT exp_id, seed FROM read_parquet(${
      sqlString(join(out, "metadata", "*", "*.parquet"))
    }, hive_partitioning = true, union_by_name = true) ORDER BY exp_id`,
  );
  assertEquals(seeds.rows, [
    ["run-0", null],
    ["run-1", null],
    ["run-2", null],
    ["run-3", 7n],
  ]);
  assertEquals(await Deno.readFile(part), bytes);
});

Deno.test("export of a table bigger than a slice: read by row ranges, the same rows in order", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cox-export-big-" });
  {
    using store = await Store.open(dir, "run-0");
    const log = store.addTable("log", { step: "int", x: "float", s: "str" });
    for (let i = 0; i < 1010; i++) {
      log.appendRow({ step: i, x: i / 4, s: `row ${i}` });
    }
  }
  const saved = exportLimits.sliceCells;
  try {
    // 97 rows a slice (the last one shorter), 101 (ten full slices)
    for (
      const [slice, partition] of [[97, false], [97, true], [
        101,
        false,
      ]] as const
    ) {
      exportLimits.sliceCells = 3 * slice;
      const out = await Deno.makeTempDir({ prefix: "cox-export-" });
      await exportQuietly(dir, out, { partition });
      const file = partition
        ? join(out, "log", "exp_id=run-0", "part-0.parquet")
        : join(out, "log.parquet");
      const got = await query(
        `SELECT step, x, s FROM read_parquet(${sqlString(file)})`,
      );
      assertEquals(
        got.rows.length,
        1010,
        `${slice} rows, partition ${partition}`,
      );
      got.rows.forEach(([step, x, s], i) => {
        assertEquals([step, x, s], [BigInt(i), i / 4, `row ${i}`]);
      });
    }
  } finally {
    exportLimits.sliceCells = saved;
  }
});

Deno.test("a read-only table's range from the start: clamped to the rows there are, without counting them first", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cox-export-range-" });
  {
    using store = await Store.open(dir, "run-0");
    const log = store.addTable("log", { step: "int" });
    for (let step = 0; step < 10; step++) log.appendRow({ step });
  }
  using reader = await CollectionReader.open(dir, { progress: false });
  const table = reader.stores.get("run-0")!.table("log");
  const steps = (start: number, stop: number) =>
    table.columns({ start, stop }).step;
  assertEquals(steps(0, 4), [0, 1, 2, 3]);
  assertEquals(steps(7, 1000), [7, 8, 9]);
  assertEquals(steps(10, 20), []);
  assertEquals(steps(25, 30), []);
  assertEquals(steps(6, 2), []);
  assertEquals(table.columns({ start: -3, stop: 9 }).step, [7, 8]);
  assertEquals(table.nrows, 10);
});

Deno.test("export: row groups of whole runs, exp_id's bounds in each (UTF-8 order)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cox-export-groups-" });
  // U+E000 sorts before U+1F600 in UTF-8 (and after it in UTF-16 units)
  const ids = Array.from(
    { length: 20 },
    (_, r) =>
      `run-${String(r).padStart(2, "0")}${
        r === 17 ? "\u{e000}" : r === 18 ? "\u{1f600}" : ""
      }`,
  );
  for (const id of ids) {
    using store = await Store.open(dir, id);
    store.addTable("log", { step: "int", x: "float" }).appendColumns({
      step: Array.from({ length: 1000 }, (_, i) => i),
      x: Array.from({ length: 1000 }, (_, i) => i / 8),
    });
  }
  const out = await Deno.makeTempDir({ prefix: "cox-export-" });
  await exportQuietly(dir, out);
  const file = sqlString(join(out, "log.parquet"));
  const groups = await query(
    `SELECT row_group_id, row_group_num_rows, stats_min_value, stats_max_value
     FROM parquet_metadata(${file}) WHERE path_in_schema = 'exp_id'
     ORDER BY row_group_id`,
  );
  const sorted = [...ids].sort();
  assertEquals(groups.rows, [
    [0n, 16000n, sorted[0], sorted[15]],
    [1n, 4000n, "run-16", "run-19"],
  ]);
  const x = await query(
    `SELECT stats_min_value, stats_max_value FROM parquet_metadata(${file})
     WHERE path_in_schema = 'x' ORDER BY row_group_id`,
  );
  // a zero lower bound is written -0, as the format asks
  assertEquals(x.rows, [["-0.0", "124.875"], ["-0.0", "124.875"]]);
  const total = await query(
    `SELECT count(*), sum(step), count(DISTINCT exp_id) FROM ${file}`,
  );
  assertEquals(total.rows, [[20000n, 20n * 499500n, 20n]]);
});

Deno.test("convertCells: ints to INT64 exactly, numbers through their 32-bit halves, bigints as they are", () => {
  const column = {
    name: "n",
    type: "int64" as const,
    kind: "int" as const,
    encoding: "value" as const,
    nullable: true,
  };
  const values = [
    0,
    1,
    -1,
    2 ** 31,
    -(2 ** 31) - 1,
    2 ** 32,
    -(2 ** 32),
    2 ** 32 - 1,
    -(2 ** 32) - 5,
    123456789012,
    2 ** 53 - 1,
    -(2 ** 53 - 1),
    2 ** 60,
    2n ** 63n - 1n,
    -(2n ** 63n),
  ];
  const got = convertCells(column, values, values.length);
  assertOk(got instanceof BigInt64Array);
  assertEquals([...got], values.map((v) => BigInt(v)));
  assertEquals([...convertCells(column, [3, null, -4], 3)], [3n, null, -4n]);
  let error: unknown;
  try {
    convertCells(column, [1, 1.5], 2);
  } catch (e) {
    error = e;
  }
  assertOk(
    error instanceof TypeError &&
      error.message ===
        'Cannot export column "n" as INT64: 1.5 is not an integer',
    String(error),
  );
});

Deno.test("utf8Order: code point order, as Parquet's bounds of UTF8 values", () => {
  const words = ["b", "a", "", "ab", "\u{e000}", "\u{1f600}", "\u{ffff}", "z"];
  const bytes = (s: string) => [...new TextEncoder().encode(s)];
  const byBytes = [...words].sort((a, b) => {
    const x = bytes(a), y = bytes(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      if (x[i] !== y[i]) return x[i] - y[i];
    }
    return x.length - y.length;
  });
  assertEquals([...words].sort(utf8Order), byBytes);
  assertEquals(byBytes.slice(-3), ["\u{e000}", "\u{ffff}", "\u{1f600}"]);
});

Deno.test("export: a broken run is skipped with a warning naming it, and no temporary file is left", async () => {
  const dir = await awkwardSweep();
  await Deno.writeFile(
    join(dir, "run-1", "store.h5"),
    new TextEncoder().encode("not an HDF5 file"),
  );
  const out = await Deno.makeTempDir({ prefix: "cox-export-" });
  const { value: result, warnings } = await exportQuietly(dir, out);
  assertEquals(result.skipped, ["run-1"]);
  assertEquals(result.runs, ["run-0", "run-2"]);
  assertOk(warnings.some((w) => w.includes("run-1")), warnings.join("\n"));
  const got = await query(
    `SELECT DISTINCT exp_id FROM ${
      sqlString(join(out, "awkward.parquet"))
    } ORDER BY 1`,
  );
  assertEquals(got.rows, [["run-0"], ["run-2"]]);
  assertEquals(
    [...Deno.readDirSync(out)].map((e) => e.name).sort(),
    ["awkward.parquet", "metadata.parquet"],
  );
});

Deno.test("export: an error while writing leaves the earlier file in place and no temporary file", async () => {
  const dir = await awkwardSweep();
  const out = await Deno.makeTempDir({ prefix: "cox-export-" });
  await exportQuietly(dir, out, { tables: ["awkward"] });
  const before = await Deno.readFile(join(out, "awkward.parquet"));
  // a table name that cannot be a file name in that folder: the export fails
  await Deno.mkdir(join(out, "metadata.parquet"));
  await assertRejects(
    () => exportQuietly(dir, out),
    Error,
    "metadata.parquet",
  );
  assertEquals(await Deno.readFile(join(out, "awkward.parquet")), before);
  assertEquals(
    [...Deno.readDirSync(out)].map((e) => e.name).filter((n) =>
      n.startsWith(".")
    ),
    [],
  );
});

Deno.test("export --join-metadata: every row carries its run's metadata", async () => {
  const dir = join(FIXTURES, "walkthrough2");
  const out = await Deno.makeTempDir({ prefix: "cox-export-" });
  await exportQuietly(dir, out, { joinMetadata: true });
  using reader = await CollectionReader.open(dir, { progress: false });
  const meta = new Map(
    (reader.df("metadata").objects() as Record<string, unknown>[]).map((
      r,
    ) => [r.exp_id, r.slope]),
  );
  const got = await query(
    `SELECT exp_id, slope, mx FROM ${
      sqlString(join(out, "line_graphs.parquet"))
    }`,
  );
  assertEquals(got.rows.length, reader.df("line_graphs").numRows());
  for (const [expId, slope] of got.rows) {
    assertEquals(slope, BigInt(meta.get(expId) as number));
  }
  // the metadata table itself is not joined to itself
  const m = await query(
    `DESCRIBE SELECT * FROM ${sqlString(join(out, "metadata.parquet"))}`,
  );
  assertEquals(m.rows.map((r) => r[0]), ["exp_id", "slope"]);
});

Deno.test("export --filter-param keeps the runs cox tensorboard keeps", async () => {
  const dir = join(FIXTURES, "walkthrough2");
  const filters: [string, string][] = [["slope", "[1-3]"]];
  const out = await Deno.makeTempDir({ prefix: "cox-export-" });
  const { value: result } = await exportQuietly(dir, out, {
    filterParams: filters,
  });
  const plan = await quietly(() =>
    planTensorboard({
      logdir: dir,
      formatStr: "s{slope}",
      filters,
      metadataTable: "metadata",
      port: 6006,
    })
  );
  assertEquals(result.runs, plan.value.runs.map((r) => r.expId));
  assertEquals(result.runs.length, 3);
  const got = await query(
    `SELECT slope FROM ${sqlString(join(out, "metadata.parquet"))} ORDER BY 1`,
  );
  assertEquals(got.rows, [[1n], [2n], [3n]]);
});

Deno.test("cox export: the command writes the files and says so; usage errors exit 2", async () => {
  const out = await Deno.makeTempDir({ prefix: "cox-export-" });
  const err: string[] = [];
  const io = { out: () => {}, err: (t: string) => void err.push(t) };
  const status = await main([
    "export",
    join(FIXTURES, "walkthrough2"),
    "line_graphs",
    "--out",
    out,
    "--format",
    "csv",
    "--filter-param",
    "slope",
    "[01]",
  ], io);
  assertEquals(status, 0, err.join(""));
  assertOk(err.join("").includes("exported 2 runs, 1 tables"), err.join(""));
  const csv = await Deno.readTextFile(join(out, "line_graphs.csv"));
  const lines = csv.trimEnd().split("\n");
  assertEquals(lines[0], "exp_id,mx,mx^2");
  using reader = await CollectionReader.open(join(FIXTURES, "walkthrough2"), {
    progress: false,
  });
  assertEquals(
    lines.length - 1,
    [...reader.stores.values()].filter((s) => {
      const slope = s.table("metadata").rows()[0].slope;
      return slope === 0 || slope === 1;
    }).reduce((n, s) => n + s.table("line_graphs").nrows, 0),
  );
  for (
    const argv of [
      ["export", "x"],
      ["export", "--out", out],
      ["export", "x", "--out", out, "--format", "xlsx"],
      ["export", "x", "--out", out, "--filter-param", "slope"],
    ]
  ) {
    const e: string[] = [];
    assertEquals(
      await main(argv, { out: () => {}, err: (t) => void e.push(t) }),
      2,
      argv.join(" "),
    );
    assertOk(e.join("").includes("Usage: cox export"), e.join(""));
  }
});

Deno.test("a bad --filter-param regex: cox export prints its own usage, cox tensorboard its own, exportSweep an OptionError", async () => {
  const dir = join(FIXTURES, "walkthrough2");
  const out = await Deno.makeTempDir({ prefix: "cox-export-" });
  const run = async (argv: string[]) => {
    const e: string[] = [];
    const status = await main(argv, {
      out: () => {},
      err: (t) => void e.push(t),
    });
    return { status, text: e.join("") };
  };
  const ex = await run([
    "export",
    dir,
    "--out",
    out,
    "--filter-param",
    "slope",
    "(",
  ]);
  assertEquals(ex.status, 2, ex.text);
  assertOk(
    ex.text.startsWith(
      "cox: --filter-param slope: cannot use the Python regular expression",
    ),
    ex.text,
  );
  assertOk(ex.text.includes("Usage: cox export"), ex.text);
  assertOk(!ex.text.includes("Usage: cox tensorboard"), ex.text);
  assertEquals([...Deno.readDirSync(out)], [], "nothing written");

  const tb = await run([
    "tensorboard",
    "--logdir",
    dir,
    "--format-str",
    "s{slope}",
    "--dry-run",
    "--filter-param",
    "slope",
    "(",
  ]);
  assertEquals(tb.status, 2, tb.text);
  assertOk(tb.text.includes("Usage: cox tensorboard"), tb.text);
  assertOk(!tb.text.includes("Usage: cox export"), tb.text);

  const error = await assertRejects(
    () => exportQuietly(dir, out, { filterParams: [["slope", "["]] }),
    OptionError,
    "--filter-param slope",
  );
  assertEquals((error as OptionError).option, "--filter-param");
});

Deno.test("export --format jsonl and arrow: the same rows", async () => {
  const dir = await awkwardSweep();
  const out = await Deno.makeTempDir({ prefix: "cox-export-" });
  await exportQuietly(dir, out, { format: "jsonl", tables: ["awkward"] });
  await exportQuietly(dir, out, { format: "arrow", tables: ["awkward"] });
  using reader = await CollectionReader.open(dir, { progress: false });
  const df = reader.df("awkward");
  const lines = (await Deno.readTextFile(join(out, "awkward.jsonl")))
    .trimEnd().split("\n").map((l) => JSON.parse(l));
  assertEquals(lines.length, df.numRows());
  assertEquals(lines[0].exp_id, "run-0");
  assertEquals(lines[0].big, "1152921504606846976"); // as cox df --format jsonl
  assertEquals(lines[0].x, null); // NaN
  assertEquals(lines[0].o, {
    step: 0,
    tags: ["a", 0],
    nested: { big: 1152921504606846976 },
  });
  // one IPC stream: schema once, a record batch per run
  const arrow = tableFromIPC(
    await Deno.readFile(join(out, "awkward.arrows")),
    { useBigInt: true },
  );
  assertEquals(arrow.numRows, df.numRows());
  assertEquals(arrow.getChild("big")!.at(0), 2n ** 60n);
  assertEquals(
    Array.from(arrow.getChild("exp_id")!.toArray() as string[]),
    Array.from(df.array("exp_id") as string[]),
  );
  assertEquals(
    Array.from(arrow.getChild("s")!.toArray() as string[]),
    Array.from(df.array("s") as string[]),
  );
});

Deno.test("toParquet and toArrow: a data frame with its types", async () => {
  const dir = await awkwardSweep();
  using reader = await CollectionReader.open(dir, { progress: false });
  const df = reader.df("awkward");
  const bytes = toParquet(df, { kinds: reader.schemas.awkward });
  const path = join(await Deno.makeTempDir(), "frame.parquet");
  await Deno.writeFile(path, bytes);
  const got = await query(`SELECT * FROM read_parquet(${sqlString(path)})`);
  // df() has exp_id last
  const names = [...Object.keys(AWKWARD), "exp_id"];
  assertEquals(got.names, names);
  assertEquals(got.types.slice(0, 4), [
    "BIGINT",
    "DOUBLE",
    "VARCHAR",
    "BOOLEAN",
  ]);
  assertEquals(got.rows.length, df.numRows());
  assertEquals(
    got.rows.map((r) => r[0]),
    Array.from(df.array("big") as ArrayLike<number | bigint>).map((v) =>
      BigInt(v)
    ),
  );
  const arrow = tableFromIPC(toArrow(df, { kinds: reader.schemas.awkward }), {
    useBigInt: true,
  });
  assertEquals(arrow.numRows, df.numRows());
  assertEquals(
    Array.from(arrow.getChild("x")!.toArray() as Float64Array),
    Array.from(df.array("x") as Float64Array),
  );
});

Deno.test("README: the DuckDB query of a partitioned export runs and gives the best loss per lr", async () => {
  const readme = await Deno.readTextFile(
    new URL("../README.md", import.meta.url),
  );
  const sql = readme.match(/```sql\n([\s\S]*?)```/)![1];
  const dir = await Deno.makeTempDir({ prefix: "cox-export-sweep-" });
  for (const lr of [0.1, 0.01]) {
    using store = await Store.open(dir);
    store.addTable("metadata", { lr: "float" }).appendRow({ lr });
    const log = store.addTable("log", { step: "int", loss: "float" });
    for (let step = 0; step < 3; step++) {
      log.appendRow({ step, loss: lr / (step + 1) });
    }
  }
  const out = await Deno.makeTempDir({ prefix: "cox-export-" });
  await exportQuietly(dir, out, { partition: true });
  const got = await query(sql.replaceAll("EXPORT", out).replace(/;\s*$/, ""));
  assertEquals(got.names, ["lr", "best_loss", "steps"]);
  assertEquals(got.rows, [[0.01, 0.01 / 3, 3n], [0.1, 0.1 / 3, 3n]]);
});

Deno.test("export --partition: exp ids with characters Hive escapes are written %XX, and DuckDB decodes them", async () => {
  const { hiveEscape } = await import("../src/export/layout.ts");
  assertEquals(hiveEscape("a=b:c%d#e?f"), "a%3Db%3Ac%25d%23e%3Ff");
  assertEquals(hiveEscape("run-1_é"), "run-1_é");
  const dir = await Deno.makeTempDir({ prefix: "cox-export-sweep-" });
  {
    using store = await Store.open(dir, "lr=0.1");
    store.addTable("log", { step: "int" }).appendRow({ step: 3 });
  }
  const out = await Deno.makeTempDir({ prefix: "cox-export-" });
  const { value } = await exportQuietly(dir, out, { partition: true });
  assertEquals(value.written, [
    join(out, "log", "exp_id=lr%3D0.1", "part-0.parquet"),
  ]);
  const got = await query(
    `SELECT exp_id, step FROM read_parquet(${
      sqlString(join(out, "log", "*", "*.parquet"))
    }, hive_partitioning = true, hive_types = {'exp_id': VARCHAR})`,
  );
  assertEquals(got.rows, [["lr=0.1", 3n]]);
});

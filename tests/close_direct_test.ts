// close() writes rows never flushed straight into store.h5 (no journal
// record, so they reach the disk once), and falls back to the journal when
// that cannot be done (a string column that must widen, pandas holding the
// file open).
import { join } from "node:path";
import { assertEquals, assertOk } from "./assert.ts";
import { Store } from "../mod.ts";
import { ignoreUnless, runPython, untilFile } from "./interop/python.ts";

const SCHEMA = { step: "int", loss: "float", ok: "bool", tag: "str" } as const;
const row = (i: number) => ({
  step: i,
  loss: i / 8,
  ok: i % 3 === 0,
  tag: i % 1000 === 0 ? `ünï-${i}` : `t${i}`,
});

/** Bytes this process has handed to write() so far. */
function wchar(): number {
  const io = Deno.readTextFileSync("/proc/self/io");
  return Number(/wchar: (\d+)/.exec(io)![1]);
}

/** The size of the run's journal (0 when there is none). */
function journalBytes(dir: string): number {
  try {
    return Deno.statSync(join(dir, "run", "store.h5.journal")).size;
  } catch {
    return 0;
  }
}

function checkRows(table: ReturnType<Store["table"]>, n: number) {
  const c = table.columns();
  for (let i = 0; i < n; i++) {
    const r = row(i);
    if (
      c.step[i] !== r.step || c.loss[i] !== r.loss || c.ok[i] !== r.ok ||
      c.tag[i] !== r.tag
    ) {
      throw new Error(
        `row ${i}: ${c.step[i]} ${c.loss[i]} ${c.ok[i]} ${c.tag[i]}`,
      );
    }
  }
}

Deno.test("close() writes rows never flushed straight into store.h5, once", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cox_close_direct_" });
  const n = 100_000;
  const store = await Store.open(dir, "run");
  const log = store.addTable("log", SCHEMA);
  for (let i = 0; i < n; i++) log.appendRow(row(i));
  const before = wchar();
  store.close();
  const written = wchar() - before;
  // through the journal the rows would be written twice: there, and then
  // into store.h5
  const fileBytes = Deno.statSync(join(dir, "run", "store.h5")).size;
  assertOk(
    written < 1.3 * fileBytes,
    `close() wrote ${written} bytes for a store.h5 of ${fileBytes} bytes`,
  );
  assertEquals(journalBytes(dir), 0);
  using reader = await Store.open(dir, "run", { mode: "r" });
  assertEquals(reader.table("log").nrows, n);
  checkRows(reader.table("log"), n);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("close() after flushes, and with a string column to widen, writes every row", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cox_close_direct_" });
  {
    const store = await Store.open(dir, "run", { flushMs: 60_000 });
    const log = store.addTable("log", SCHEMA);
    for (let i = 0; i < 5000; i++) log.appendRow(row(i));
    store.flush();
    for (let i = 5000; i < 9000; i++) log.appendRow(row(i));
    store.close();
  }
  const long = "a tag far wider than any before it, so the column widens";
  {
    const store = await Store.open(dir, "run");
    store.table("log").appendRow({ ...row(9000), tag: long });
    store.close();
  }
  using reader = await Store.open(dir, "run", { mode: "r" });
  const log = reader.table("log");
  assertEquals(log.nrows, 9001);
  checkRows(log, 9000);
  assertEquals(log.columns().tag[9000], long);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test({
  name:
    "interop: close() while pandas has store.h5 open read-only waits for pandas to close it (HDF5's shared lock), then puts every row in store.h5",
  ignore: await ignoreUnless(["pandas", "tables"]),
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "cox_close_direct_" });
    // no timer flush: the rows stay pending until close()
    const store = await Store.open(dir, "run", { flushMs: 3_600_000 });
    const log = store.addTable("log", SCHEMA);
    for (let i = 0; i < 100; i++) log.appendRow(row(i));
    store.flush();
    for (let i = 100; i < 300; i++) log.appendRow(row(i));
    const path = join(dir, "run", "store.h5");
    const marker = join(dir, "pandas");
    // pandas keeps the file open for 2 s, holding HDF5's shared flock, and
    // close() comes during that time
    const holder = runPython(["pandas", "tables"], "hold_open.py", [
      path,
      "2",
      marker,
    ]);
    await untilFile(`${marker}.open`);
    const began = performance.now();
    store.close();
    // close() waited (it blocks this thread) until pandas let go of the file
    const waited = performance.now() - began;
    assertOk(waited > 1000, `close() returned after ${waited} ms`);
    await holder; // throws if pandas failed
    using reader = await Store.open(dir, "run", { mode: "r" });
    assertEquals(reader.table("log").nrows, 300);
    checkRows(reader.table("log"), 300);
    assertEquals(journalBytes(dir), 0);
    Deno.removeSync(dir, { recursive: true });
  },
});

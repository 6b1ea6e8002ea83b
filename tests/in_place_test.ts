// In-place updates of store.h5 through the undo log: an update cut short at
// its worst moment is undone (by readers in memory, by the next writer on
// disk), and a small batch costs about its own bytes on a big file.
import { join } from "node:path";
import { assertEquals, assertOk, assertThrows } from "./assert.ts";
import { Store } from "../mod.ts";
import {
  decodeUndo,
  encodeUndo,
  readUndo,
  undoRecord,
} from "../src/run/undo_log.ts";
import { lastUpdateStats, rollBack, UNDO_SUFFIX } from "../src/run/in_place.ts";
import { ignoreUnless, runPython } from "./interop/python.ts";
import { quietly } from "./warnings.ts";

const SCHEMA = { step: "int", loss: "float", tag: "str" } as const;
const row = (i: number) => ({ step: i, loss: i / 8, tag: `run-${i}` });

Deno.test("an undo log round-trips; one cut short or damaged is no log", () => {
  const log = {
    size: 123456,
    records: [
      undoRecord(0, new Uint8Array([1, 2, 3])),
      undoRecord(4096, new Uint8Array(500)), // zeros take no room
      undoRecord(99999, new Uint8Array([9])),
    ],
  };
  const bytes = encodeUndo(log);
  assertOk(bytes.length < 100, `${bytes.length} bytes`);
  const back = decodeUndo(bytes)!;
  assertEquals(back.size, 123456);
  assertEquals(back.records.map((r) => [r.offset, r.length]), [
    [0, 3],
    [4096, 500],
    [99999, 1],
  ]);
  assertEquals([...back.records[0].bytes!], [1, 2, 3]);
  assertEquals(back.records[1].bytes, null);
  for (let cut = 0; cut < bytes.length; cut++) {
    assertEquals(decodeUndo(bytes.subarray(0, cut)), null, `cut at ${cut}`);
  }
  const damaged = bytes.slice();
  damaged[22] ^= 1;
  assertEquals(decodeUndo(damaged), null);
});

/**
 * Makes every data sync after the first `allowed` fail, and every write
 * after that failure: what a process killed at that point leaves undone.
 */
function failSyncsAfter(allowed: number): () => void {
  const proto = Deno.FsFile.prototype;
  const { syncDataSync, writeSync } = proto;
  let calls = 0;
  let failed = false;
  proto.syncDataSync = function (this: Deno.FsFile) {
    if (failed || ++calls > allowed) {
      failed = true;
      throw new Deno.errors.Interrupted("injected");
    }
    return syncDataSync.call(this);
  };
  proto.writeSync = function (this: Deno.FsFile, p: Uint8Array) {
    if (failed) throw new Deno.errors.Interrupted("injected");
    return writeSync.call(this, p);
  };
  return () => {
    proto.syncDataSync = syncDataSync;
    proto.writeSync = writeSync;
  };
}

Deno.test("an update stopped after its in-place writes is undone: readers see the old file plus the journal, the next write rolls back first", async () => {
  const dir = await Deno.makeTempDir();
  const store = await Store.open(dir, "run");
  const path = join(dir, "run", "store.h5");
  const t = store.addTable("t", SCHEMA);
  for (let i = 0; i < 5000; i++) t.appendRow(row(i));
  store.flush();
  const before = Deno.readFileSync(path);
  for (let i = 5000; i < 5100; i++) t.appendRow(row(i));
  // the journal's sync and the undo log's succeed; store.h5's sync and the
  // roll-back's fail: the file holds the new bytes and the undo log is valid
  const restore = failSyncsAfter(2);
  let error: Error;
  try {
    error = assertThrows(() => store.flush(), Error, "store.h5");
  } finally {
    restore();
  }
  assertOk(error.message.includes("stay safe in"), error.message);
  assertOk(readUndo(path + UNDO_SUFFIX) !== null, "the undo log is valid");
  assertOk(
    Deno.readFileSync(path).some((b, i) => b !== before[i]),
    "the file was changed in place",
  );
  // a reader sees the last consistent file (the undo log applied in memory)
  // and the journal's rows on top: every flushed row, once
  const seen = await quietly(async () => {
    using reader = await Store.open(dir, "run", { mode: "r" });
    return reader.table("t").columns().step;
  });
  assertEquals(seen.value, Array.from({ length: 5100 }, (_, i) => i));
  // rolling back gives the old file byte for byte
  assertOk(rollBack(path));
  assertEquals(Deno.readFileSync(path), before);
  assertEquals(readUndo(path + UNDO_SUFFIX), null);
  store.close();
  using after = await Store.open(dir, "run", { mode: "r" });
  assertEquals(after.table("t").nrows, 5100);
  assertEquals(after.table("t").rows()[5099], row(5099));
});

Deno.test("a writer opening a run whose update was cut short rolls it back and re-applies the journal", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "run", "store.h5");
  const store = await Store.open(dir, "run");
  const t = store.addTable("t", SCHEMA);
  for (let i = 0; i < 300; i++) t.appendRow(row(i));
  store.flush();
  for (let i = 300; i < 400; i++) t.appendRow(row(i));
  const restore = failSyncsAfter(2);
  try {
    assertThrows(() => store.flush(), Error, "store.h5");
  } finally {
    restore();
  }
  // the writer dies here: its lock is left, its undo log valid
  const lock = Deno.readTextFileSync(path + ".lock");
  const journal = Deno.readFileSync(path + ".journal");
  const undo = Deno.readFileSync(path + UNDO_SUFFIX);
  const half = Deno.readFileSync(path);
  store.close();
  Deno.writeFileSync(path, half);
  Deno.writeFileSync(path + ".journal", journal);
  Deno.writeFileSync(path + UNDO_SUFFIX, undo);
  Deno.writeTextFileSync(path + ".lock", lock);
  const { warnings } = await quietly(async () => {
    // the lock names this very process: take it over as a stale one would be
    Deno.removeSync(path + ".lock");
    using writer = await Store.open(dir, "run");
    assertEquals(writer.table("t").nrows, 400);
  });
  assertOk(
    warnings.some((w) => w.includes("rolled") && w.includes(path)),
    warnings.join("\n"),
  );
  assertEquals(readUndo(path + UNDO_SUFFIX), null);
  assertEquals(Deno.readFileSync(path + ".journal").length, 0);
  using reader = await Store.open(dir, "run", { mode: "r" });
  assertEquals(
    reader.table("t").columns().step,
    Array.from({ length: 400 }, (_, i) => i),
  );
});

Deno.test({
  name:
    "appending a small batch to a big store.h5 writes about the batch, not the file; pandas reads it",
  ignore: await ignoreUnless(["pandas", "tables"]),
  async fn() {
    const dir = await Deno.makeTempDir();
    const path = join(dir, "run", "store.h5");
    {
      using store = await Store.open(dir, "run");
      const t = store.addTable("t", SCHEMA);
      for (let i = 0; i < 400_000; i++) t.appendRow(row(i));
    }
    const size = Deno.statSync(path).size;
    assertOk(size > 20e6, `${size} bytes`);
    using store = await Store.open(dir, "run");
    const t = store.table("t");
    let written = 0;
    for (let flush = 0; flush < 20; flush++) {
      for (let k = 0; k < 500; k++) t.appendRow(row(t.nrows));
      store.flush();
      const s = lastUpdateStats();
      written += s.appended + s.overwritten + s.undo;
    }
    const rowBytes = 8 + 8 + 8 + 32; // index, step, loss, tag
    const data = 20 * 500 * rowBytes;
    // store.h5 and its undo log take about the rows' own bytes (the journal
    // takes them once more); a whole-file copy would be 20 x 20 MB
    assertOk(written < 3 * data, `${written} bytes for ${data} bytes of rows`);
    const out = JSON.parse(
      await runPython(["pandas", "tables"], "table_rows.py", [
        path,
        "t",
        "0",
        "399999",
        "400000",
        "409999",
      ]),
    );
    assertEquals(out.nrows, 410_000);
    for (const i of [0, 399_999, 400_000, 409_999]) {
      const r = row(i);
      assertEquals(out.rows[String(i)], {
        step: String(r.step),
        loss: r.loss,
        tag: r.tag,
        index: String(i),
      });
    }
  },
});

Deno.test("an update that HDF5 truncates below the old end and then writes past it keeps every byte it wrote", async () => {
  const dir = await Deno.makeTempDir();
  {
    using store = await Store.open(dir, "run");
    store.addTable("t", SCHEMA).appendRow(row(0));
  }
  const path = join(dir, "run", "store.h5");
  const before = Deno.statSync(path).size;
  // what a writer killed after appending past the end leaves: no reader looks there
  const file = Deno.openSync(path, { append: true });
  file.writeSync(new Uint8Array(6000).fill(7));
  file.close();
  {
    // a new table makes HDF5 close the file mid-update (truncating it to its
    // end of allocation, below the old size) and then write far past it
    using store = await Store.open(dir, "run");
    const u = store.addTable("u", SCHEMA);
    for (let i = 0; i < 2000; i++) u.appendRow(row(i));
  }
  assertOk(Deno.statSync(path).size > before + 6000, "the file grew");
  using reader = await Store.open(dir, "run", { mode: "r" });
  assertEquals(reader.table("t").rows(), [row(0)]);
  assertEquals(reader.table("u").nrows, 2000);
  assertEquals(reader.table("u").rows()[1999], row(1999));
});

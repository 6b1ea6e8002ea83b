// Tables of any size: a 30M-row table over 2 GiB is written, re-opened,
// appended to, read by ranges and read by pandas; a journal bigger than its
// store.h5 is read and replayed.
import { assertEquals, assertOk, assertThrows } from "./assert.ts";
import { join } from "node:path";
import { MAX_WHOLE_READ_BYTES, Store } from "../mod.ts";
import { ignoreUnless, runPython } from "./interop/python.ts";
import { quietly } from "./warnings.ts";

const SCHEMA = { step: "int", x: "float", tag: "str" } as const;
/** 40 characters, so that the tag column is 64 bytes wide: 88-byte rows. */
const TAGS = Array.from(
  { length: 997 },
  (_, k) => `tag-${String(k).padStart(3, "0")}-`.padEnd(40, "abcdef"),
);
const rowAt = (i: number) => ({ step: i, x: i / 4, tag: TAGS[i % 997] });

function logRows(store: Store, from: number, to: number, flushEvery: number) {
  const log = store.addTable("log", SCHEMA);
  for (let i = from; i < to; i++) {
    log.appendRow(rowAt(i));
    if ((i + 1) % flushEvery === 0) store.flush();
  }
  store.flush();
}

Deno.test({
  name:
    "a 30M-row table (2.6 GB) is written, re-opened, appended to, read by ranges and read by pandas",
  ignore: await ignoreUnless(["pandas", "tables"]),
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    const total = 30_000_000;
    const first = 27_000_000;
    {
      using store = await Store.open(dir, "run", { flushMs: 600_000 });
      logRows(store, 0, first, 3_000_000);
    }
    const storePath = join(dir, "run", "store.h5");
    assertOk(Deno.statSync(storePath).size > 2 * 1024 ** 3);
    {
      // re-opened for appending: rows go after those there
      using store = await Store.open(dir, "run", { flushMs: 600_000 });
      const log = store.table<typeof SCHEMA>("log");
      assertEquals(log.nrows, first);
      logRows(store, first, total - 10, 3_000_000);
      for (let i = total - 10; i < total; i++) log.appendRow(rowAt(i));
      // ranges span the rows in store.h5 and those still pending in memory
      assertEquals(log.pendingCount, 10);
      assertEquals(
        log.rows({ start: total - 12, stop: total - 8 }),
        [total - 12, total - 11, total - 10, total - 9].map(rowAt),
      );
      assertEquals(log.columns({ start: -1 }).step, [total - 1]);
    }
    using store = await Store.open(dir, "run", { mode: "r" });
    const log = store.table<typeof SCHEMA>("log");
    assertEquals(log.nrows, total);
    assertEquals(log.rows({ stop: 3 }), [0, 1, 2].map(rowAt));
    assertEquals(
      log.rows({ start: total - 2 }),
      [total - 2, total - 1].map(rowAt),
    );
    const middle = log.columns({ start: first - 2, stop: first + 2 });
    assertEquals(middle.step, [first - 2, first - 1, first, first + 1]);
    assertEquals(
      middle.x,
      [first - 2, first - 1, first, first + 1].map((i) => i / 4),
    );
    assertEquals(
      middle.tag,
      [first - 2, first - 1, first, first + 1].map((i) => TAGS[i % 997]),
    );
    assertEquals(
      log.rows({ start: 16_777_215, stop: 16_777_217 }),
      [16_777_215, 16_777_216].map(rowAt),
    );
    assertEquals(log.rows({ start: total, stop: total + 5 }), []);
    // a whole read would take 2.6 GB: a RangeError naming the table and its size
    const bytes = total * 88;
    assertOk(bytes > MAX_WHOLE_READ_BYTES);
    for (
      const read of [() => log.columns(), () => log.rows(), () => log.df()]
    ) {
      const error = assertThrows(read, RangeError);
      assertOk(error.message.includes(`table "log"`), error.message);
      assertOk(
        error.message.includes(`${total} rows of 88 bytes take ${bytes} bytes`),
        error.message,
      );
    }
    assertOk(String(log).includes(`(${total} rows hidden)`));
    // pandas reads it by ranges too
    const sample = [0, 1, first - 1, first, 20_000_001, total - 1];
    const seen = JSON.parse(
      await runPython(["pandas", "tables"], "table_rows.py", [
        storePath,
        "log",
        ...sample.map(String),
      ]),
    );
    assertEquals(seen.nrows, total);
    for (const i of sample) {
      const row = rowAt(i);
      assertEquals(seen.rows[i], {
        index: String(i),
        step: String(i),
        x: row.x,
        tag: row.tag,
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "a journal bigger than its store.h5 is read by ranges and replayed into it",
  ignore: await ignoreUnless(["pandas", "tables"]),
}, async () => {
  const dir = await Deno.makeTempDir();
  const row = (i: number) => ({ step: i, x: i / 4, tag: `tag-${i % 1000}` });
  try {
    {
      using store = await Store.open(dir, "run");
      const log = store.addTable("log", SCHEMA);
      for (let i = 0; i < 1000; i++) log.appendRow(row(i));
    }
    const storePath = join(dir, "run", "store.h5");
    const journalPath = `${storePath}.journal`;
    const total = 1_000_000;
    // a reader holding store.h5 open (as pandas does) keeps the writer's rows in its journal
    const held = Deno.openSync(storePath, { read: true });
    held.lockSync(false);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./programs/journal_only.ts", import.meta.url).pathname,
        dir,
        "1000",
        String(total),
      ],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let said = "";
    while (!said.includes("journaled")) {
      const { value, done } = await reader.read();
      if (done) break;
      said += value;
    }
    child.kill("SIGKILL");
    await child.status;
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
    assertEquals(said.trim(), `journaled ${total}`);
    assertOk(
      Deno.statSync(journalPath).size > 10 * Deno.statSync(storePath).size,
    );
    {
      const { value: rows } = await quietly(async () => {
        using store = await Store.open(dir, "run", { mode: "r" });
        const log = store.table<typeof SCHEMA>("log");
        return {
          n: log.nrows,
          edge: log.rows({ start: 998, stop: 1002 }),
          last: log.rows({ start: -1 }),
        };
      });
      assertEquals(rows.n, total);
      assertEquals(rows.edge, [998, 999, 1000, 1001].map(row));
      assertEquals(rows.last, [row(total - 1)]);
    }
    held.unlockSync();
    held.close();
    const { warnings } = await quietly(async () => {
      using store = await Store.open(dir, "run");
      assertEquals(store.table("log").nrows, total);
    });
    assertOk(
      warnings.some((w) =>
        w.includes(`recovered ${total - 1000} rows of table "log"`)
      ),
      warnings.join("\n"),
    );
    assertEquals(Deno.statSync(journalPath).size, 0);
    const seen = JSON.parse(
      await runPython(["pandas", "tables"], "table_rows.py", [
        storePath,
        "log",
        "999",
        "1000",
        String(total - 1),
      ]),
    );
    assertEquals(seen.nrows, total);
    assertEquals(seen.rows[String(total - 1)], {
      index: String(total - 1),
      step: String(total - 1),
      x: (total - 1) / 4,
      tag: `tag-${(total - 1) % 1000}`,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

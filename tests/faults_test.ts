// Faults: a writer killed at any moment loses no row it had flushed; a second
// writer cannot open a run that is being written; a full disk fails a flush
// without losing rows; readers of a running run see a consistent prefix.
import { join } from "node:path";
import { hostname } from "node:os";
import {
  assertEquals,
  assertOk,
  assertRejects,
  assertThrows,
} from "./assert.ts";
import { PICKLE, Store, type Table } from "../mod.ts";
import { RunLockedError } from "../src/run/run_lock.ts";
import { ROW_SCHEMA, rowAt } from "./programs/rows.ts";
import { ignoreUnless, runPython } from "./interop/python.ts";
import { quietly } from "./warnings.ts";

const KILL_WRITER =
  new URL("./programs/kill_writer.ts", import.meta.url).pathname;
const HOLD_RUN = new URL("./programs/hold_run.ts", import.meta.url).pathname;
const TRIALS = Number(Deno.env.get("COX_KILL_TRIALS") ?? 50);

/** Reads the lines a child prints, calling `onLine` for each as it comes. */
async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    rest += decoder.decode(chunk, { stream: true });
    const lines = rest.split("\n");
    rest = lines.pop()!;
    lines.forEach(onLine);
  }
}

function checkPrefix(
  rows: Record<string, unknown>[],
  acked: number,
  where: string,
): void {
  assertOk(
    rows.length >= acked,
    `${where}: ${rows.length} rows, ${acked} were flushed`,
  );
  for (let i = 0; i < rows.length; i++) {
    const want = rowAt(i);
    const got = rows[i];
    if (
      got.i !== want.i || got.x !== want.x || got.s !== want.s ||
      got.ok !== want.ok
    ) {
      throw new Error(
        `${where}: row ${i} is ${JSON.stringify(got)}, expected ${
          JSON.stringify(want)
        }`,
      );
    }
  }
}

function existsFile(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

let seed = 20261201;
const random = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);

/**
 * Kills `trials` writers (tests/programs/kill_writer.ts, given `how`) at
 * random moments, up to `waitMs` after they opened the run, and checks that
 * every row a writer acknowledged is read, by us right after the kill and by
 * pandas once a writer's open has put the journal into store.h5.
 */
async function killTrials(
  trials: number,
  how: string[],
  waitMs: number,
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "cox-kill-" });
  const checked: [string, number][] = [];
  let dir = "";
  let total = 0;
  for (let trial = 0; trial < trials; trial++) {
    // every fourth trial kills a writer that continues the run the previous one left
    if (trial % 4 !== 3) dir = join(root, `trial-${trial}`);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", KILL_WRITER, dir, String(trial + 1), ...how],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let errors = "";
    const errorLines = readLines(child.stderr, (line) => {
      if (!line.includes("warning:")) errors += line + "\n";
    });
    let acked = 0;
    let opened: () => void;
    const open = new Promise<void>((r) => (opened = r));
    const lines = readLines(child.stdout, (line) => {
      if (line.startsWith("open")) opened();
      if (line.startsWith("flushed ")) acked = Number(line.slice(8));
    });
    // every fifth trial kills the writer while it starts and creates the run
    const creating = trial % 5 === 4 && trial % 4 !== 3;
    if (!creating) await Promise.race([open, child.status]);
    await new Promise((r) =>
      setTimeout(r, creating ? 50 + random() * 250 : random() * waitMs)
    );
    try {
      child.kill("SIGKILL");
    } catch {
      // it ended by itself: it must not have
    }
    const status = await child.status;
    await lines;
    await errorLines;
    assertEquals(
      status.signal,
      "SIGKILL",
      `trial ${trial}: the writer ended on its own:\n${errors}`,
    );
    const storeFile = join(dir, "run", "store.h5");
    // killed before it made the file: nothing to read
    const made = acked > 0 || existsFile(storeFile);
    const { value: rows } = await quietly(async () => {
      if (!made) return [];
      // a half-made run opens as an empty one, never as an error
      using reader = await Store.open(dir, "run", { mode: "r" });
      // killed before its first flush: the table was never written
      if (acked === 0 && !reader.tables.has("t")) return [];
      return reader.table("t").rows();
    });
    checkPrefix(
      rows,
      acked,
      `trial ${trial}, read-only right after the kill`,
    );
    total += acked;
    if (rows.length > 0) checked.push([storeFile, acked]);
  }
  // a writer's open puts what the journal holds into store.h5, for pandas
  for (const [path] of checked) {
    const run = join(path, "..");
    await quietly(async () =>
      (await Store.open(join(run, ".."), "run")).close()
    );
  }
  const out = await runPython(
    ["pandas", "tables"],
    "check_rows.py",
    checked.flatMap(([p, n]) => [p, String(n)]),
  );
  assertEquals(out.trim().split("\n").length, checked.length);
  assertOk(
    checked.length >= trials / 2,
    `most writers flushed rows: ${checked.length} of ${trials} did`,
  );
  assertOk(total > 0, "the writers flushed rows before they were killed");
}

Deno.test({
  name:
    `a writer killed with SIGKILL at random moments (${TRIALS} trials) loses no flushed row`,
  ignore: await ignoreUnless(["pandas", "tables"]),
  fn: () => killTrials(TRIALS, [], 400),
});

Deno.test({
  name:
    `a writer of appendColumns batches (written straight into store.h5) killed at random moments (${
      Math.ceil(TRIALS / 2)
    } trials) loses no acknowledged row and leaves store.h5 whole`,
  ignore: await ignoreUnless(["pandas", "tables"]),
  fn: () => killTrials(Math.ceil(TRIALS / 2), ["Infinity", "columns"], 1500),
});

Deno.test("a second writer is refused with the first one's pid and host; readers still read", async () => {
  const dir = await Deno.makeTempDir();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", HOLD_RUN, dir, "run"],
    stdout: "piped",
  }).spawn();
  let ready: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const lines = readLines(child.stdout, (line) => line === "ready" && ready());
  await isReady;
  try {
    const error = await assertRejects(
      () => Store.open(dir, "run"),
      RunLockedError,
      `process ${child.pid}`,
      `host ${hostname()}`,
      join(dir, "run", "store.h5.lock"),
    );
    assertEquals((error as RunLockedError).holder.pid, child.pid);
    using reader = await Store.open(dir, "run", { mode: "r" });
    assertEquals(reader.table("t").rows(), [{ a: 1 }]);
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await lines;
  }
  // the lock of the killed writer is stale: the next writer takes it over and says so
  const { warnings } = await quietly(async () => {
    using store = await Store.open(dir, "run");
    store.table("t").appendRow({ a: 2 });
  });
  assertOk(
    warnings.some((w) =>
      w.includes("took over the lock") && w.includes(String(child.pid))
    ),
    String(warnings),
  );
  using reader = await Store.open(dir, "run", { mode: "r" });
  assertEquals(reader.table("t").rows(), [{ a: 1 }, { a: 2 }]);
});

Deno.test("a lock is given up on close, so the next writer opens without a word", async () => {
  const dir = await Deno.makeTempDir();
  (await Store.open(dir, "run")).close();
  const { warnings } = await quietly(async () =>
    (await Store.open(dir, "run")).close()
  );
  assertEquals(warnings, []);
  assertEquals(
    Deno.readDirSync(join(dir, "run")).some((e) => e.name.endsWith(".lock")),
    false,
  );
});

async function canMount(): Promise<boolean> {
  if (Deno.build.os !== "linux") return false;
  const dir = await Deno.makeTempDir();
  const ok = (await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir],
  }).output())
    .success;
  if (ok) await new Deno.Command("umount", { args: [dir] }).output();
  return ok;
}
const mountable = await canMount();

async function mount(args: string[]): Promise<void> {
  const out = await new Deno.Command("mount", { args, stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(
      `mount ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
}

/** Runs `body` with a fresh store at `<tmpfs>/run` on a tmpfs of `size`, unmounted afterwards. */
async function onTmpfs(
  size: string,
  body: (
    dir: string,
    store: Store,
    t: Table<typeof ROW_SCHEMA>,
  ) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  await mount(["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
  try {
    const store = await Store.open(dir, "run", { flushMs: 60_000 });
    await body(dir, store, store.addTable("t", ROW_SCHEMA));
  } finally {
    await new Deno.Command("umount", { args: ["-l", dir] }).output();
  }
}

Deno.test({
  name:
    "a full disk fails the flush with a clear error; the rows stay pending and go in once there is room",
  ignore: !mountable,
  async fn() {
    await onTmpfs("512k", async (dir, store, t) => {
      let n = 0;
      let acked = 0;
      let error: Error | null = null;
      await quietly(() => {
        for (let round = 0; round < 200 && error === null; round++) {
          for (let k = 0; k < 500; k++) t.appendRow(rowAt(n++));
          try {
            store.flush();
            acked = n;
          } catch (e) {
            error = e as Error;
          }
        }
      });
      assertOk(error !== null, "the disk never filled up");
      const message = (error as Error).message;
      // the journal filled up (the rows stay pending in memory), or store.h5
      // did (they are safe in the journal): either way the error says which
      assertOk(
        message.includes("store.h5.journal") &&
          (message.includes("stay pending") ||
            message.includes("stay safe in")),
        message,
      );
      assertEquals(t.nrows, n, "nothing was dropped");
      // what was acknowledged is readable now, from another store
      const storeFile = join(dir, "run", "store.h5");
      // killed before it made the file: nothing to read
      const made = acked > 0 || existsFile(storeFile);
      const { value: rows } = await quietly(async () => {
        if (!made) return [];
        // a half-made run opens as an empty one, never as an error
        using reader = await Store.open(dir, "run", { mode: "r" });
        return reader.table("t").rows();
      });
      checkPrefix(rows, acked, "after the failed flush");
      await mount(["-o", "remount,size=64m", dir]);
      await quietly(() => store.close());
      using reader = await Store.open(dir, "run", { mode: "r" });
      const all = reader.table("t").rows();
      assertEquals(all.length, n);
      checkPrefix(all, n, "after room was made");
    });
  },
});

Deno.test({
  name:
    "PICKLE cells on a full disk: the row is kept, flush() names the run, table and column, and nothing is lost",
  ignore: !mountable,
  async fn() {
    await onTmpfs("768k", async (dir, store) => {
      const o = store.addTable("o", { step: "int", p: PICKLE });
      const blob = (i: number) => `${i}:` + "x".repeat(60_000);
      let n = 0;
      let error: Error | null = null;
      await quietly(() => {
        for (let round = 0; round < 100 && error === null; round++) {
          o.appendRow({ step: n, p: blob(n) }); // never throws for a full disk
          n++;
          try {
            store.flush();
          } catch (e) {
            error = e as Error;
          }
        }
      });
      assertOk(error !== null, "the disk never filled up");
      const message = (error as Error).message;
      for (
        const part of [
          'column "p"',
          'table "o"',
          join(dir, "run"),
          ".table_objects",
          "stay pending",
        ]
      ) assertOk(message.includes(part), message);
      assertEquals(o.nrows, n, "the row was kept, as a table row is");
      // no file is left half-written
      for (const e of Deno.readDirSync(join(dir, "run", ".table_objects"))) {
        assertOk(
          (o.getPickle(e.name) as string).endsWith("x".repeat(10)),
          e.name,
        );
      }
      await mount(["-o", "remount,size=64m", dir]);
      await quietly(() => store.close());
      using reader = await Store.open(dir, "run", { mode: "r" });
      const table = reader.table("o");
      const rows = table.rows();
      assertEquals(rows.length, n);
      rows.forEach((row, i) => {
        assertEquals(row.step, i);
        assertEquals(table.getPickle(row.p as string), blob(i));
      });
    });
  },
});

Deno.test({
  name:
    "a read-only folder fails the flush with a clear error and loses nothing",
  ignore: !mountable,
  async fn() {
    await onTmpfs("4m", async (dir, store, t) => {
      for (let i = 0; i < 10; i++) t.appendRow(rowAt(i));
      store.flush();
      await mount(["-o", "remount,ro", dir]);
      for (let i = 10; i < 20; i++) t.appendRow(rowAt(i));
      const error = assertThrows(
        () => store.flush(),
        Error,
        "store.h5.journal",
        "stay pending",
      );
      assertOk(/read-only|Read-only/i.test(error.message), error.message);
      assertEquals(t.nrows, 20);
      using reader = await Store.open(dir, "run", { mode: "r" });
      checkPrefix(reader.table("t").rows(), 10, "the rows flushed before");
      await mount(["-o", "remount,rw", dir]);
      store.close();
      using after = await Store.open(dir, "run", { mode: "r" });
      checkPrefix(
        after.table("t").rows(),
        20,
        "after the folder is writable again",
      );
      assertEquals(after.table("t").nrows, 20);
    });
  },
});

Deno.test({
  name:
    "readers of a run being written see a growing, consistent prefix (ours and pandas)",
  ignore: await ignoreUnless(["pandas", "tables"]),
  async fn() {
    const dir = await Deno.makeTempDir();
    const child = new Deno.Command(Deno.execPath(), {
      // 60,000 rows: enough for reads to overlap many flushes and in-place
      // updates, few enough that a loaded machine's reads keep up
      args: ["run", "-A", KILL_WRITER, dir, "7", "60000"],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    let acked = 0;
    let flushed: () => void;
    const first = new Promise<void>((r) => (flushed = r));
    const lines = readLines(child.stdout, (line) => {
      if (line.startsWith("flushed ")) {
        acked = Number(line.slice(8));
        flushed();
      }
    });
    try {
      await first;
      let last = 0;
      for (let k = 0; k < 15; k++) {
        await new Promise((r) => setTimeout(r, 60));
        const before = acked;
        const { value: rows } = await quietly(async () => {
          using reader = await Store.open(dir, "run", { mode: "r" });
          return reader.table("t").rows();
        });
        checkPrefix(rows, before, `read ${k}`);
        assertOk(rows.length >= last, "a later read never sees fewer rows");
        last = rows.length;
        if (k % 5 === 4) {
          await runPython(["pandas", "tables"], "check_rows.py", [
            join(dir, "run", "store.h5"),
            "0",
          ]);
        }
      }
      assertOk(last > 0);
    } finally {
      child.kill("SIGKILL");
      await child.status;
      await lines;
    }
  },
});

Deno.test("snapshotCopy() and Store.readFromRunning() read a running run through its snapshot", async () => {
  const dir = await Deno.makeTempDir();
  using store = await Store.open(dir, "run");
  const t = store.addTable("t", { step: "int", obj: PICKLE });
  t.appendRow({ step: 1, obj: { loss: [0.5, 0.25] } });
  const path = store.snapshotCopy();
  assertEquals(path, join(dir, "run_snapshot", "store.h5"));
  t.appendRow({ step: 2, obj: null });
  for (
    const reader of [
      await Store.readFromRunning(dir, "run"),
      await Store.readFromRunning(join(dir, "run")),
    ]
  ) {
    using r = reader;
    const table = r.table("t");
    assertEquals(table.nrows, 1, "the snapshot holds the rows of its time");
    assertEquals(r.tableObjectDir, join(dir, "run", ".table_objects"));
    const cell = table.rows()[0].obj;
    assertEquals(JSON.parse(JSON.stringify(table.getPickle(cell as string))), {
      loss: [0.5, 0.25],
    });
  }
});

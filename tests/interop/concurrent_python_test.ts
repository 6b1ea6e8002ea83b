/**
 * Issue 11, item 10: Python cox appending to store.h5 while our writer
 * flushes. No row of either writer may be lost without a word: both sets end
 * in store.h5, each in its own order, or our flush() throws naming the other
 * writer's rows while ours stay in the journal, to go in later.
 */

import { join } from "node:path";
import { assertEquals, assertOk } from "../assert.ts";
import { setWarningSink, Store } from "../../mod.ts";
import { ignoreUnless, requirePython, runPython } from "./python.ts";
import { quietly } from "../warnings.ts";

const MODULES = ["pandas", "tables"];
const ignore = await ignoreUnless(MODULES);
const SCRIPT = new URL("./cox_concurrent.py", import.meta.url).pathname;

/** Table t as pandas reads it: [index, n, who] per row. */
async function pandasRows(path: string): Promise<[number, number, string][]> {
  const got = JSON.parse(
    await runPython(MODULES, "store_tool.py", ["read", path]),
  );
  return got.t.rows.map((r: { n: string; who: string }, i: number) => [
    got.t.index[i],
    Number(r.n),
    r.who,
  ]);
}

/** Checks that rows hold 0..count-1 of each writer, each in its own order, and nothing else. */
function checkBoth(
  rows: [number, number, string][],
  counts: Record<string, number>,
  where: string,
): void {
  const next: Record<string, number> = {};
  rows.forEach(([index, n, who], i) => {
    assertEquals(index, i, `${where}: index of row ${i}`);
    assertOk(who in counts, `${where}: row ${i} is from "${who}"`);
    assertEquals(n, next[who] ?? 0, `${where}: row ${i} of "${who}"`);
    next[who] = n + 1;
  });
  for (const [who, count] of Object.entries(counts)) {
    assertEquals(next[who] ?? 0, count, `${where}: rows of "${who}"`);
  }
}

async function ourRows(dir: string): Promise<[number, number, string][]> {
  const { value } = await quietly(async () => {
    using reader = await Store.open(dir, "run", { mode: "r" });
    return reader.table("t").rows().map((
      r,
      i,
    ) => [i, Number(r.n), String(r.who)] as [number, number, string]);
  });
  return value;
}

Deno.test({
  name:
    "Python cox appending (one HDFStore session a row) while our writer flushes: every row of both is in store.h5",
  ignore,
  async fn() {
    const python = (await requirePython(MODULES))!;
    const dir = await Deno.makeTempDir();
    const path = join(dir, "run", "store.h5");
    const { value: store } = await quietly(() =>
      Store.open(dir, "run", { flushMs: 3_600_000 })
    );
    const t = store.addTable("t", { n: "int", who: "str" });
    t.appendRow({ n: 0, who: "ours" });
    store.flush();
    const PY_ROWS = 150;
    const child = new Deno.Command(python, {
      args: [SCRIPT, path, "t", "py", String(PY_ROWS)],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = child.output();
    let done = false;
    output.then(() => (done = true));
    let ours = 1;
    let failed = 0;
    const { warnings } = await quietly(async () => {
      // our writer goes on while Python writes, and a little after
      for (let extra = 0; extra < 20; extra += done ? 1 : 0) {
        for (let k = 0; k < 3; k++) t.appendRow({ n: ours++, who: "ours" });
        // a busy file waits in the journal; a file caught in the middle of
        // Python's write (HDF5 says it is truncated) fails the flush, naming
        // the run, with our rows safe in the journal for the next flush
        try {
          store.flush();
        } catch (error) {
          const message = (error as Error).message;
          assertOk(
            message.includes(path) &&
              message.includes(`stay safe in ${path}.journal`),
            message,
          );
          failed++;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      store.close(); // waits for Python to let go, if it still holds the file
    });
    const out = await output;
    const text = new TextDecoder().decode(out.stdout);
    assertOk(out.success, new TextDecoder().decode(out.stderr));
    assertOk(text.includes(`acked ${PY_ROWS}\n`), text);
    const busy = Number(/busy (\d+)/.exec(text)![1]);
    const rows = await pandasRows(path);
    checkBoth(rows, { ours, py: PY_ROWS }, "pandas");
    checkBoth(await ourRows(dir), { ours, py: PY_ROWS }, "our reader");
    // the writers did overlap: Python's rows are not all after ours
    const lastOurs = rows.findLastIndex(([, , who]) => who === "ours");
    const firstPy = rows.findIndex(([, , who]) => who === "py");
    assertOk(
      firstPy < lastOurs,
      `Python's rows ${firstPy}.. came after our last ${lastOurs}`,
    );
    // our rows that Python's overtook went after them, with a warning naming them
    assertOk(
      warnings.some((w) => w.includes("were written by another writer")),
      JSON.stringify(warnings.slice(0, 3)),
    );
    console.log(
      `${ours} rows of ours, ${PY_ROWS} of Python's; Python was refused ${busy} times by our lock; ` +
        `${failed} of our flushes failed and were redone; ${warnings.length} warnings`,
    );
  },
});

/** Runs cox_concurrent.py to its end, synchronously (from inside our flush). */
function appendNow(
  python: string,
  path: string,
  who: string,
  count: number,
  options: { locking: boolean; tries?: number },
): { code: number; stdout: string; stderr: string } {
  const out = new Deno.Command(python, {
    args: [SCRIPT, path, "t", who, String(count), String(options.tries ?? 0)],
    env: options.locking ? {} : { HDF5_USE_FILE_LOCKING: "FALSE" },
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  const text = new TextDecoder();
  return {
    code: out.code,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
  };
}

function succeeded(out: { code: number; stderr: string }): void {
  assertEquals(out.code, 0, out.stderr);
}

Deno.test({
  name:
    "Python appending while our replacement of store.h5 is under way: a locking one is refused, one without HDF5 locking is noticed; ours go after its rows, or flush() names them and keeps ours in the journal",
  ignore,
  async fn() {
    const python = (await requirePython(MODULES))!;
    const dir = await Deno.makeTempDir();
    const path = join(dir, "run", "store.h5");
    const journal = path + ".journal";
    const { value: store } = await quietly(() =>
      Store.open(dir, "run", { flushMs: 3_600_000 })
    );
    const t = store.addTable("t", { n: "int", who: "str" });
    // our rows' strings grow (32, then 64, then 128 bytes), so each of our
    // later flushes rebuilds store.h5 into a new file
    const ours = (n: number) =>
      "ours" + "_".repeat(n < 5 ? 0 : n < 10 ? 40 : 100);
    for (let n = 0; n < 5; n++) t.appendRow({ n, who: ours(n) });
    store.flush();
    // Python appends between two of our flushes: our next batch, expecting
    // row 5, finds 10 and says so from inside the rebuild, while the old
    // file is locked and being read. That warning is where Python comes in.
    succeeded(appendNow(python, path, "pyA", 5, { locking: true }));

    const warnings: string[] = [];
    let mode: "once" | "every time" | "off" = "once";
    let lockedOut: { code: number; stdout: string } | null = null;
    let unlockedRuns = 0;
    const previous = setWarningSink((message) => {
      warnings.push(message);
      if (mode === "off" || !message.includes("written by another writer")) {
        return;
      }
      // a Python taking HDF5's lock (the default) cannot open the file now
      lockedOut ??= appendNow(python, path, "never", 1, {
        locking: true,
        tries: 3,
      });
      // one that does not (HDF5_USE_FILE_LOCKING=FALSE) writes
      unlockedRuns++;
      succeeded(
        appendNow(
          python,
          path,
          mode === "once" ? "pyB" : `pyC${unlockedRuns}`,
          1,
          {
            locking: false,
          },
        ),
      );
      if (mode === "once") mode = "off";
    });
    const norm = (rows: [number, number, string][]) =>
      rows.map(([i, n, who]) =>
        [i, n, who.replace(/_+$/, "")] as [number, number, string]
      );
    try {
      for (let n = 5; n < 10; n++) t.appendRow({ n, who: ours(n) });
      store.flush();
      assertEquals(lockedOut!.code, 3, lockedOut!.stdout);
      assertOk(lockedOut!.stdout.includes("gave up"));
      assertEquals(unlockedRuns, 1);
      // the first rebuild saw Python's row come in and was not put in place;
      // the second went on top of it
      assertOk(
        warnings.some((w) =>
          w.includes(
            `another process wrote to ${path} while we were rebuilding it`,
          ) &&
          w.includes(
            'the other writer added 1 rows to table "t" (rows 10..10)',
          ) &&
          w.includes("trying again on top of its rows")
        ),
        JSON.stringify(warnings),
      );
      checkBoth(norm(await pandasRows(path)), {
        ours: 10,
        pyA: 5,
        pyB: 1,
      }, "pandas, after the second try");

      // Python between our flushes again, and now at every try
      succeeded(appendNow(python, path, "pyD", 2, { locking: true }));
      mode = "every time";
      for (let n = 10; n < 15; n++) t.appendRow({ n, who: ours(n) });
      let error: Error | null = null;
      try {
        store.flush();
      } catch (e) {
        error = e as Error;
      }
      assertOk(error !== null, "flush() says it could not write our rows");
      for (
        const part of [
          join(dir, "run"),
          "while we were rebuilding it",
          'the other writer added 1 rows to table "t"',
          "tried 3 times",
          `5 rows of table "t" stay safe in ${journal}`,
        ]
      ) assertOk(error.message.includes(part), error.message);
      assertEquals(unlockedRuns, 4);
      // Python's rows are all in store.h5; ours are in the journal, and our
      // readers show them after Python's
      const counts = {
        ours: 10,
        pyA: 5,
        pyB: 1,
        pyD: 2,
        pyC2: 1,
        pyC3: 1,
        pyC4: 1,
      };
      checkBoth(norm(await pandasRows(path)), counts, "pandas, Python's rows");
      assertOk(Deno.statSync(journal).size > 0);
      checkBoth(
        norm(await ourRows(dir)),
        { ...counts, ours: 15 },
        "our reader, ours from the journal",
      );
      // once Python stops, the next flush (or close, or the next open) brings them in
      mode = "off";
      store.close();
    } finally {
      setWarningSink(previous);
    }
    const all = {
      ...{ pyA: 5, pyB: 1, pyD: 2, pyC2: 1, pyC3: 1, pyC4: 1 },
      ours: 15,
    };
    checkBoth(norm(await pandasRows(path)), all, "pandas, at the end");
    checkBoth(norm(await ourRows(dir)), all, "our reader, at the end");
    assertEquals(Deno.statSync(journal).size, 0);
  },
});

Deno.test({
  name:
    "Python appending inside our in-place update (after our new bytes, before our writes over the old ones): a locking one is refused, one without HDF5 locking is noticed; ours go after its rows, or flush() names them",
  ignore,
  async fn() {
    const python = (await requirePython(MODULES))!;
    const dir = await Deno.makeTempDir();
    const path = join(dir, "run", "store.h5");
    const journal = path + ".journal";
    const { value: store } = await quietly(() =>
      Store.open(dir, "run", { flushMs: 3_600_000 })
    );
    const t = store.addTable("t", { n: "int", who: "str" });
    for (let n = 0; n < 5; n++) t.appendRow({ n, who: "ours" });
    store.flush();
    // the moment: our undo log is synced (HDF5 has closed the file, our new
    // bytes past its end are on disk, nothing below its end is written yet)
    let mode: "once" | "every time" | "off" = "once";
    let lockedOut: { code: number; stdout: string } | null = null;
    let runs = 0;
    const proto = Deno.FsFile.prototype;
    const { syncDataSync } = proto;
    proto.syncDataSync = function (this: Deno.FsFile) {
      syncDataSync.call(this);
      let undo = 0;
      try {
        undo = Deno.statSync(path + ".undo").size;
      } catch {
        // none yet
      }
      if (mode === "off" || undo === 0) return;
      const was = mode;
      mode = "off"; // no Python inside Python's own run
      lockedOut ??= appendNow(python, path, "never", 1, {
        locking: true,
        tries: 3,
      });
      runs++;
      succeeded(appendNow(python, path, `py${runs}`, 1, { locking: false }));
      mode = was === "once" ? "off" : was;
    };
    const warnings: string[] = [];
    const previous = setWarningSink((m) => warnings.push(m));
    try {
      for (let n = 5; n < 10; n++) t.appendRow({ n, who: "ours" });
      store.flush();
      assertEquals(lockedOut!.code, 3, lockedOut!.stdout);
      assertEquals(runs, 1);
      assertOk(
        warnings.some((w) =>
          w.includes(
            `another process wrote to ${path} while we were updating it`,
          ) &&
          w.includes('the other writer added 1 rows to table "t" (rows 5..5)')
        ),
        JSON.stringify(warnings),
      );
      checkBoth(await pandasRows(path), { ours: 10, py1: 1 }, "pandas");

      mode = "every time";
      for (let n = 10; n < 15; n++) t.appendRow({ n, who: "ours" });
      let error: Error | null = null;
      try {
        store.flush();
      } catch (e) {
        error = e as Error;
      }
      assertOk(error !== null, "flush() says it could not write our rows");
      for (
        const part of [
          "while we were updating it",
          'the other writer added 1 rows to table "t"',
          "tried 3 times",
          `5 rows of table "t" stay safe in ${journal}`,
        ]
      ) assertOk(error.message.includes(part), error.message);
      assertEquals(runs, 4);
      const counts = { ours: 10, py1: 1, py2: 1, py3: 1, py4: 1 };
      checkBoth(await pandasRows(path), counts, "pandas, Python's rows");
      checkBoth(
        await ourRows(dir),
        { ...counts, ours: 15 },
        "our reader, ours from the journal",
      );
      mode = "off";
      store.close();
    } finally {
      proto.syncDataSync = syncDataSync;
      setWarningSink(previous);
    }
    const all = { py1: 1, py2: 1, py3: 1, py4: 1, ours: 15 };
    checkBoth(await pandasRows(path), all, "pandas, at the end");
    checkBoth(await ourRows(dir), all, "our reader, at the end");
    assertEquals(Deno.statSync(journal).size, 0);
  },
});

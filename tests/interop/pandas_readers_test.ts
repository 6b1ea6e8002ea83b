/**
 * pandas reading store.h5 beside our writer (Debian's HDF5 1.10.8 takes a
 * shared `flock` while an HDFStore is open; our writer writes in place only
 * while no one holds it, and takes it exclusively for the writes):
 * - a pandas loop re-opening the file while we flush in place never sees a
 *   torn file (row counts never go back, last rows whole); an open that
 *   meets our exclusive lock is refused by HDF5, never torn;
 * - a session kept open across our flushes (a notebook holding an HDFStore)
 *   reads whole rows; our flushed rows wait in the journal (acknowledged,
 *   and seen by our readers), and the first flush after pandas lets go
 *   brings them all into store.h5.
 */
import { join } from "node:path";
import { assertEquals, assertOk } from "../assert.ts";
import { Store } from "../../mod.ts";
import { ignoreUnless, requirePython, runPython, untilFile } from "./python.ts";

const MODULES = ["pandas", "tables"];
const ignore = await ignoreUnless(MODULES);
const row = (n: number) => ({ n, tag: `row-${n}` });

/**
 * A run whose table t holds rows 0..999 (n, "row-<n>"), flushed, and Python
 * script `script` started on it with arguments (store.h5, "t", marker);
 * returns once the script has created `<marker><started>`.
 */
async function runBesidePandas(script: string, started: string) {
  const python = (await requirePython(MODULES))!;
  const dir = await Deno.makeTempDir();
  const path = join(dir, "run", "store.h5");
  const marker = join(dir, "marker");
  const store = await Store.open(dir, "run", { flushMs: 3_600_000 });
  const t = store.addTable("t", { n: "int", tag: "str" });
  // a last chunk left part full, which the next rows go into
  for (let n = 0; n < 1000; n++) t.appendRow(row(n));
  store.flush();
  const output = new Deno.Command(python, {
    args: [new URL(script, import.meta.url).pathname, path, "t", marker],
    stdout: "piped",
    stderr: "piped",
  }).output();
  await untilFile(marker + started);
  return { dir, path, marker, store, t, output };
}

Deno.test({
  name:
    "pandas re-reading store.h5 while our in-place flushes and a bulk append go on sees whole files only: row counts never go back, last rows whole",
  ignore,
  async fn() {
    const { path, marker: stop, store, t, output } = await runBesidePandas(
      "poll_reads.py",
      ".started",
    );
    using _ = store;
    const end = Date.now() + 4000;
    let round = 0;
    while (Date.now() < end) {
      if (round++ === 20) {
        // a bulk append, straight into store.h5
        const from = t.nrows;
        const count = 200_000;
        const n = Array.from({ length: count }, (_, i) => from + i);
        t.appendColumns({ n, tag: n.map((i) => `row-${i}`) });
      } else {
        for (let k = 0; k < 300; k++) t.appendRow(row(t.nrows));
        store.flush();
      }
      // pandas gets the file between some updates, and meets others mid-way
      await new Promise((r) => setTimeout(r, round % 3 === 0 ? 0 : 7));
    }
    const total = t.nrows;
    await Deno.writeFile(stop, new Uint8Array());
    const out = await output;
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, stderr);
    const seen = JSON.parse(new TextDecoder().decode(out.stdout));
    assertEquals(seen.problems, []);
    // an open that meets our exclusive lock (about a millisecond per
    // update) is refused by HDF5, never torn; most get through
    assertOk(seen.reads >= 10, `pandas read ${seen.reads} times`);
    assertOk(
      seen.refused < seen.reads,
      `${seen.refused} opens refused, ${seen.reads} read`,
    );
    assertOk(seen.last > seen.first, `pandas saw ${seen.first}..${seen.last}`);
    assertOk(seen.last <= total, `${seen.last} of ${total}`);
    // while pandas held the file our updates waited (their rows stayed in
    // the journal); with the reader gone every row reaches store.h5
    store.flush();
    const last = String(total - 1);
    const rows = JSON.parse(
      await runPython(MODULES, "table_rows.py", [path, "t", "0", last]),
    );
    assertEquals(rows.nrows, total);
    assertEquals(rows.rows[last].n, last);
    assertEquals(rows.rows[last].tag, `row-${last}`);
  },
});

Deno.test({
  name:
    "a pandas session kept open across our flushes keeps store.h5 as it read it: its rows stay whole, ours wait in the journal, and the next flush after it closes brings them in",
  ignore,
  async fn() {
    const { dir, path, marker, store, t, output } = await runBesidePandas(
      "kept_open.py",
      ".read",
    );
    using _ = store;
    for (let round = 0; round < 10; round++) {
      for (let k = 0; k < 500; k++) t.appendRow(row(t.nrows));
      store.flush();
    }
    const n = t.nrows;
    const count = 100_000;
    const more = Array.from({ length: count }, (_, i) => n + i);
    t.appendColumns({ n: more, tag: more.map((i) => `row-${i}`) });
    const total = t.nrows;
    // every row is acknowledged: in the journal, which our readers add
    assertOk(Deno.statSync(path + ".journal").size > count * 16);
    {
      using reader = await Store.open(dir, "run", { mode: "r" });
      assertEquals(reader.table("t").nrows, total);
    }
    await Deno.writeFile(marker + ".go", new Uint8Array());
    await untilFile(marker + ".closed");
    store.flush();
    assertEquals(Deno.statSync(path + ".journal").size, 0);
    await Deno.writeFile(marker + ".flushed", new Uint8Array());
    const out = await output;
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    const got = JSON.parse(new TextDecoder().decode(out.stdout));
    assertEquals(got.first, { rows: 1000, problem: null });
    assertEquals(got.same, { rows: 1000, problem: null });
    assertEquals(got.fresh, { rows: total, problem: null });
  },
});

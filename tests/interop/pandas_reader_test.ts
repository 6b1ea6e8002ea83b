/**
 * A pandas reader opening store.h5 over and over while our writer brings rows
 * into it in place (flushes, then a bulk appendColumns) never sees a torn
 * file: every open succeeds, the row count never goes back, and the last
 * rows it reads are whole. (Debian's HDF5 takes no lock for a read-only
 * open, so nothing makes the writer and the reader take turns: the order of
 * the in-place writes is what keeps the file whole, see docs/store.md.)
 */
import { join } from "node:path";
import { assertEquals, assertOk } from "../assert.ts";
import { Store } from "../../mod.ts";
import { ignoreUnless, requirePython, runPython, untilFile } from "./python.ts";

const MODULES = ["pandas", "tables"];
const SCRIPT = new URL("./poll_reads.py", import.meta.url).pathname;

Deno.test({
  name:
    "pandas re-reading store.h5 while our in-place flushes and a bulk append go on sees whole files only: row counts never go back, last rows whole",
  ignore: await ignoreUnless(MODULES),
  async fn() {
    const python = (await requirePython(MODULES))!;
    const dir = await Deno.makeTempDir();
    const path = join(dir, "run", "store.h5");
    const stop = join(dir, "stop");
    const row = (n: number) => ({ n, tag: `row-${n}` });
    using store = await Store.open(dir, "run", { flushMs: 3_600_000 });
    const t = store.addTable("t", { n: "int", tag: "str" });
    for (let n = 0; n < 1000; n++) t.appendRow(row(n));
    store.flush();
    const child = new Deno.Command(python, {
      args: [SCRIPT, path, "t", stop],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = child.output();
    await untilFile(stop + ".started");
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

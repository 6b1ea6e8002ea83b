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
      Store.open(dir, "run", { flushMs: 60_000 })
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
    const { warnings } = await quietly(async () => {
      // our writer goes on while Python writes, and a little after
      for (let extra = 0; extra < 20; extra += done ? 1 : 0) {
        for (let k = 0; k < 3; k++) t.appendRow({ n: ours++, who: "ours" });
        store.flush(); // never throws here: a busy file waits in the journal
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
        `${warnings.length} warnings`,
    );
  },
});

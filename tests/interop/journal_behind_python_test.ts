/**
 * Issue: a journal that no longer fits store.h5. Our writer's last batch is
 * only in the journal (store.h5 was busy: Python had it open), the writer
 * ends, then Python cox appends to store.h5. Our rows must not vanish or be
 * shown over Python's: they come after Python's, with a warning, for our
 * readers and, once a writer has opened the run, for pandas.
 */

import { join } from "node:path";
import { assertEquals, assertOk } from "../assert.ts";
import { Store } from "../../mod.ts";
import { ignoreUnless, runPython } from "./python.ts";
import { quietly } from "../warnings.ts";

const MODULES = ["pandas", "tables"];
const ignore = await ignoreUnless(MODULES) || !(await canMakeImmutable());

/** Rows of table t as pandas reads them: [n, who]. */
async function pandasRows(path: string): Promise<[string, string][]> {
  const got = JSON.parse(
    await runPython(MODULES, "store_tool.py", ["read", path]),
  );
  return got.t.rows.map((r: { n: string; who: string }) => [r.n, r.who]);
}

/** Makes a file unchangeable, even for root (`chattr +i`), or changeable again. */
async function immutable(path: string, on: boolean): Promise<boolean> {
  try {
    const out = await new Deno.Command("chattr", {
      args: [on ? "+i" : "-i", path],
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** Whether this file system lets us make a file immutable (ext4 as root does). */
async function canMakeImmutable(): Promise<boolean> {
  const probe = await Deno.makeTempFile();
  try {
    return await immutable(probe, true);
  } finally {
    await immutable(probe, false);
    await Deno.remove(probe);
  }
}

Deno.test({
  name:
    "journal rows that Python's appends overtook come after Python's rows, never over them, with a warning",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    const path = join(dir, "run", "store.h5");
    await Deno.mkdir(join(dir, "run"));
    await runPython(
      MODULES,
      "store_tool.py",
      ["write", path, "t"],
      JSON.stringify({
        schema: { n: "int", who: "str" },
        rows: [0, 1, 2].map((n) => ({ n, who: "py" })),
      }),
    );
    // our rows 3 and 4 reach the journal only: store.h5 cannot be written
    assertOk(await immutable(path, true));
    let journaled;
    try {
      journaled = await quietly(async () => {
        const store = await Store.open(dir, "run");
        store.table("t").appendRow({ n: 3, who: "ours" });
        store.table("t").appendRow({ n: 4, who: "ours" });
        let failed = "";
        try {
          store.close();
        } catch (error) {
          failed = (error as Error).message;
        }
        return failed;
      });
    } finally {
      await immutable(path, false);
    }
    assertOk(
      journaled.value !== "",
      "close() says store.h5 could not take the rows",
    );
    assertEquals(await pandasRows(path), [["0", "py"], ["1", "py"], [
      "2",
      "py",
    ]]);

    // Python cox appends two rows of its own, at rows 3 and 4
    await runPython(
      MODULES,
      "store_tool.py",
      ["append", path, "t"],
      JSON.stringify([{ n: 30, who: "py" }, { n: 40, who: "py" }]),
    );
    const want = [
      [0, "py"],
      [1, "py"],
      [2, "py"],
      [30, "py"],
      [40, "py"],
      [3, "ours"],
      [4, "ours"],
    ];
    const read = await quietly(async () => {
      using reader = await Store.open(dir, "run", { mode: "r" });
      return reader.table("t").rows().map((r) => [Number(r.n), r.who]);
    });
    assertEquals(read.value, want, "our reader: Python's rows, then ours");
    // ranges follow the same rule, whichever rows they span
    const ranges = await quietly(async () => {
      using reader = await Store.open(dir, "run", { mode: "r" });
      const t = reader.table("t");
      return [[0, 2], [2, 6], [4, 7], [6, 9], [-3, 7]].map(([start, stop]) =>
        t.rows({ start, stop }).map((r) => [Number(r.n), r.who])
      );
    });
    assertEquals(ranges.value, [
      want.slice(0, 2),
      want.slice(2, 6),
      want.slice(4, 7),
      want.slice(6, 9),
      want.slice(-3, 7),
    ]);
    assertOk(
      read.warnings.some((w) =>
        w.includes('2 rows of table "t"') && w.includes("pandas does not see")
      ),
      read.warnings.join("\n"),
    );

    const opened = await quietly(async () => {
      using store = await Store.open(dir, "run");
      return store.table("t").nrows;
    });
    assertEquals(opened.value, 7);
    assertOk(
      opened.warnings.some((w) =>
        w.includes("written by another writer") && w.includes("rows 5..6")
      ),
      opened.warnings.join("\n"),
    );
    assertEquals(
      await pandasRows(path),
      want.map(([n, who]) => [String(n), who as string]),
      "pandas: Python's rows, then ours",
    );
  },
});

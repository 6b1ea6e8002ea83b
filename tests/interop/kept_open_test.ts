/**
 * A pandas session kept open across our flushes (a notebook holding an
 * HDFStore) holds HDF5's shared lock, so our writer leaves store.h5 alone
 * meanwhile: the session reads whole rows, the flushed rows wait in the
 * journal (acknowledged, and seen by our readers), and the first flush after
 * pandas lets go brings them all into store.h5.
 */
import { join } from "node:path";
import { assertEquals, assertOk } from "../assert.ts";
import { Store } from "../../mod.ts";
import { ignoreUnless, requirePython, untilFile } from "./python.ts";

const MODULES = ["pandas", "tables"];
const SCRIPT = new URL("./kept_open.py", import.meta.url).pathname;

Deno.test({
  name:
    "a pandas session kept open across our flushes keeps store.h5 as it read it: its rows stay whole, ours wait in the journal, and the next flush after it closes brings them in",
  ignore: await ignoreUnless(MODULES),
  async fn() {
    const python = (await requirePython(MODULES))!;
    const dir = await Deno.makeTempDir();
    const path = join(dir, "run", "store.h5");
    const marker = join(dir, "marker");
    const row = (n: number) => ({ n, tag: `row-${n}` });
    using store = await Store.open(dir, "run", { flushMs: 3_600_000 });
    const t = store.addTable("t", { n: "int", tag: "str" });
    // a last chunk left part full, which the next rows go into
    for (let n = 0; n < 1000; n++) t.appendRow(row(n));
    store.flush();
    const child = new Deno.Command(python, {
      args: [SCRIPT, path, "t", marker],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = child.output();
    await untilFile(marker + ".read");
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

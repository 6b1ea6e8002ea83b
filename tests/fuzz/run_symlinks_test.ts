// Symlinks inside a run that lead outside it: nothing we open inside a run,
// for reading or writing, resolves outside it, and no byte outside is read
// or changed; the error names the run and the path.
import { join } from "node:path";
import { assertEquals, assertOk, assertRejects } from "../assert.ts";
import { CollectionReader, PICKLE, Store } from "../../mod.ts";
import { encodePickleFile } from "../../src/pickle/cells.ts";
import { OutsideRunError } from "../../src/run/inside_run.ts";
import { quietly } from "../warnings.ts";

/** A sweep with run "run" (a PICKLE cell flushed, nothing pending) and a folder "outside" beside it. */
async function sweep() {
  const storage = await Deno.makeTempDir({ prefix: "cox-links-" });
  const run = join(storage, "run");
  let cell = "";
  {
    using store = await Store.open(storage, "run");
    const t = store.addTable("t", { p: PICKLE });
    t.appendRow({ p: "mine" });
    cell = t.rows()[0].p as string;
    store.tensorboard.addScalar("x", 1, 0);
  }
  const outside = join(storage, "..", `${storage.split("/").pop()}-outside`);
  Deno.mkdirSync(outside);
  Deno.writeFileSync(join(outside, cell), encodePickleFile("someone else's"));
  Deno.writeTextFileSync(join(outside, "victim"), "keep me");
  return { storage, run, outside, cell };
}

function rm(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** Every file under `dir` with its bytes, to show nothing was changed or added. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of Deno.readDirSync(dir)) {
    const p = join(dir, e.name);
    out[e.name] = e.isFile
      ? btoa(String.fromCharCode(...Deno.readFileSync(p)))
      : "dir";
  }
  return out;
}

Deno.test("a journal symlinked outside the run is neither read nor written", async () => {
  const { storage, run, outside } = await sweep();
  rm(join(run, "store.h5.journal"));
  Deno.symlinkSync(join(outside, "victim"), join(run, "store.h5.journal"));
  const before = snapshot(outside);
  for (const mode of ["r", "a"] as const) {
    const error = await assertRejects(
      () => Store.open(storage, "run", { mode }),
      OutsideRunError,
      join(run, "store.h5.journal"),
      "symlink",
    );
    assertEquals((error as OutsideRunError).run, run);
  }
  const { value: reader, warnings } = await quietly(() =>
    CollectionReader.open(storage, { skipErrors: true, progress: false })
  );
  reader.close();
  assertEquals(reader.stores.size, 0);
  assertOk(
    warnings.some((w) => w.includes("store.h5.journal")),
    String(warnings),
  );
  // swapped in while a writer runs: its next flush refuses it
  rm(join(run, "store.h5.journal"));
  {
    using store = await Store.open(storage, "run");
    rm(join(run, "store.h5.journal"));
    Deno.symlinkSync(join(outside, "victim"), join(run, "store.h5.journal"));
    store.table("t").appendRow({ p: "more" });
    let caught: unknown;
    try {
      store.flush();
    } catch (error) {
      caught = error;
    }
    assertOk(
      caught instanceof Error && caught.message.includes("symlink") &&
        caught.message.includes(run),
      String(caught),
    );
    rm(join(run, "store.h5.journal"));
  }
  assertEquals(snapshot(outside), before);
});

Deno.test(".table_objects symlinked outside the run: no object is read from there, and nothing is written there", async () => {
  const { storage, run, outside } = await sweep();
  Deno.removeSync(join(run, ".table_objects"), { recursive: true });
  Deno.symlinkSync(outside, join(run, ".table_objects"));
  const before = snapshot(outside);
  using reader = await CollectionReader.open(storage, { progress: false });
  let caught: unknown;
  try {
    reader.df("t");
  } catch (error) {
    caught = error;
  }
  assertOk(
    caught instanceof Error && caught.message.includes("outside the run"),
    String(caught),
  );
  await assertRejects(
    () => Store.open(storage, "run"),
    OutsideRunError,
    ".table_objects",
  );
  assertEquals(snapshot(outside), before);
});

Deno.test("tensorboard/ symlinked outside the run: the writer creates no event file there", async () => {
  const { storage, run, outside } = await sweep();
  Deno.removeSync(join(run, "tensorboard"), { recursive: true });
  Deno.symlinkSync(outside, join(run, "tensorboard"));
  const before = snapshot(outside);
  await assertRejects(
    () => Store.open(storage, "run"),
    OutsideRunError,
    "tensorboard",
  );
  assertEquals(snapshot(outside), before);
});

Deno.test("an object file symlinked to a file inside the run is still read, one outside is not", async () => {
  const { storage, run, outside, cell } = await sweep();
  const objects = join(run, ".table_objects");
  Deno.symlinkSync(join(objects, cell), join(objects, "alias"));
  Deno.symlinkSync(join(outside, cell), join(objects, "evil"));
  using store = await Store.open(storage, "run", { mode: "r" });
  assertEquals(store.table("t").getPickle("alias"), "mine");
  let caught: unknown;
  try {
    store.table("t").getPickle("evil");
  } catch (error) {
    caught = error;
  }
  assertOk(
    caught instanceof RangeError && caught.message.includes("outside"),
    String(caught),
  );
});

Deno.test("a leftover replacement file that is a symlink is removed, not written through", async () => {
  const { storage, run, outside } = await sweep();
  const before = snapshot(outside);
  for (const pid of [Deno.pid, 1, 99999]) {
    Deno.symlinkSync(join(outside, "victim"), join(run, `store.h5.tmp-${pid}`));
  }
  {
    using store = await Store.open(storage, "run");
    store.table("t").appendRow({ p: "more" });
  }
  assertEquals(snapshot(outside), before);
  assertEquals(
    [...Deno.readDirSync(run)].filter((e) => e.name.includes(".tmp-")).length,
    0,
  );
  using reader = await Store.open(storage, "run", { mode: "r" });
  assertEquals(reader.table("t").nrows, 2);
});

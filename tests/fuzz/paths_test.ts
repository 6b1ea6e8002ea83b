// Cells and symlinks that point outside a run folder.
import { join } from "node:path";
import {
  CollectionReader,
  PICKLE,
  PyGlobal,
  setWarningSink,
  Store,
  StoreFileError,
} from "../../mod.ts";
import { AttributeWriter } from "../../src/h5/attributes.ts";
import { H5Api, loadH5 } from "../../src/h5/h5wasm.ts";
import { readObjectFile } from "../../src/run/objects.ts";
import {
  assertEquals,
  assertOk,
  assertRejects,
  assertThrows,
} from "../assert.ts";

async function pickleRun(): Promise<{ storage: string; run: string }> {
  const storage = await Deno.makeTempDir({ prefix: "cox-paths-" });
  const store = await Store.open(storage, "run");
  store.addTable("log", { step: "int", blob: PICKLE }).appendRow({
    step: 1,
    blob: { a: 1 },
  });
  store.close();
  return { storage, run: join(storage, "run") };
}

/** A store whose PICKLE column holds `cell` (written as str, then declared PICKLE). */
async function hostileCellRun(cell: string): Promise<string> {
  const storage = await Deno.makeTempDir({ prefix: "cox-paths-" });
  const store = await Store.open(storage, "run");
  store.addTable("log", { step: "int", blob: "str" }).appendRow({
    step: 1,
    blob: cell,
  });
  store.close();
  await loadH5();
  const f = new H5Api.File(join(storage, "run", "store.h5"), "a");
  new AttributeWriter(f, "/log").pickled("COX_DATA", {
    schema: { step: new PyGlobal("builtins", "int"), blob: PICKLE },
    name: "log",
  });
  f.close();
  return storage;
}

for (
  const [what, cell] of [
    ["a relative path", "../../etc/passwd"],
    ["an absolute path", "/etc/passwd"],
    ["a path with a backslash", "..\\..\\x"],
    ["..", ".."],
  ]
) {
  Deno.test(`a PICKLE cell naming ${what} is refused with a RangeError`, async () => {
    const storage = await hostileCellRun(cell);
    {
      using store = await Store.open(storage, "run", { mode: "r" });
      const table = store.table("log");
      assertEquals(table.rows()[0].blob, cell);
      assertThrows(
        () => table.getPickle(cell),
        RangeError,
        JSON.stringify(cell),
        "plain file name inside .table_objects",
      );
    }
    using reader = await CollectionReader.open(storage, { progress: false });
    assertThrows(() => reader.df("log"), Error, "plain file name");
    const warnings: string[] = [];
    const previous = setWarningSink((m) => warnings.push(m));
    try {
      assertEquals(reader.df("log", { skipErrors: true }).numRows(), 0);
    } finally {
      setWarningSink(previous);
    }
    assertOk(warnings.some((w) => w.includes("plain file name")));
  });
}

Deno.test("a cell that is a symlink in .table_objects to a file outside the run is refused", async () => {
  const { storage, run } = await pickleRun();
  const outside = join(storage, "secret");
  await Deno.writeTextFile(outside, "secret");
  await Deno.symlink(outside, join(run, ".table_objects", "evil"));
  using store = await Store.open(storage, "run", { mode: "r" });
  assertThrows(
    () => store.table("log").getPickle("evil"),
    RangeError,
    "outside",
  );
  // a symlink to a file inside the folder is fine
  const [cell] = store.table("log").columns().blob as string[];
  await Deno.symlink(
    join(run, ".table_objects", cell),
    join(run, ".table_objects", "alias"),
  );
  assertEquals(
    store.table("log").getPickle("alias"),
    store.table("log").getPickle(cell),
  );
});

Deno.test("an object file whose name begins with two dots is still inside the folder", async () => {
  const { run } = await pickleRun();
  const dir = join(run, ".table_objects");
  await Deno.writeFile(join(dir, "..x"), new Uint8Array([1, 2]));
  assertEquals([...readObjectFile(dir, "..x")], [1, 2]);
});

Deno.test("a store.h5 that is a symlink outside its run folder is refused in every mode", async () => {
  const { storage, run } = await pickleRun();
  const elsewhere = join(storage, "elsewhere.h5");
  await Deno.rename(join(run, "store.h5"), elsewhere);
  await Deno.symlink(elsewhere, join(run, "store.h5"));
  const before = await Deno.readFile(elsewhere);
  for (const mode of ["r", "a", "w"] as const) {
    await assertRejects(
      () => Store.open(storage, "run", { mode }),
      StoreFileError,
      "symlink",
      "outside its folder",
    );
  }
  assertEquals(await Deno.readFile(elsewhere), before);
  await Deno.remove(join(run, "store.h5"));
  await Deno.symlink(join(storage, "missing.h5"), join(run, "store.h5"));
  await assertRejects(
    () => Store.open(storage, "run", { mode: "w" }),
    StoreFileError,
    "symlink to nothing",
  );
  await assertRejects(() => Deno.lstat(join(storage, "missing.h5")), Error);
});

Deno.test("a run folder symlinked into a collection is read like any run", async () => {
  const { storage } = await pickleRun();
  const collection = await Deno.makeTempDir({ prefix: "cox-paths-" });
  await Deno.symlink(join(storage, "run"), join(collection, "linked"));
  using reader = await CollectionReader.open(collection, { progress: false });
  assertEquals([...reader.stores.keys()], ["linked"]);
  const df = reader.df("log");
  assertEquals(df.numRows(), 1);
  assertEquals({ ...df.get("blob", 0) }, { a: 1 });
});

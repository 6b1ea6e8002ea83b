// Groups with many links keep them in a fractal heap whose root indirect
// block holds further indirect blocks once the heap passes 512 KiB (h5py's
// defaults): the fast reader reads them, and a valid table beside them reads
// without h5wasm. Far more links than a store has run out of the file's
// budget of structures quickly.
import { join } from "node:path";
import { CollectionReader, Store } from "../../mod.ts";
import { prepareRead, withTableFile } from "../../src/h5/table_file.ts";
import { assertEquals, assertOk } from "../assert.ts";
import { ignoreUnless, runPython } from "../interop/python.ts";
import { quietly } from "../warnings.ts";

const ignore = await ignoreUnless(["h5py"]);

async function run(groups: number, nameLength: number) {
  const storage = await Deno.makeTempDir({ prefix: "cox-many-links-" });
  {
    using store = await Store.open(storage, "run");
    const log = store.addTable("log", { step: "int", loss: "float" });
    for (let i = 0; i < 10; i++) log.appendRow({ step: i, loss: i / 2 });
  }
  const file = join(storage, "run", "store.h5");
  await runPython(["h5py"], "../fuzz/_many_groups.py", [
    file,
    String(groups),
    String(nameLength),
  ]);
  return { storage, file };
}

Deno.test({
  name:
    "3,000 links with 200-character names (nested fractal heap blocks) are read by the fast reader",
  ignore,
  async fn() {
    const { storage, file } = await run(3000, 200);
    await prepareRead(file);
    const keys = withTableFile(file, (f) => {
      assertEquals(f.reader, "fast");
      return f.keys();
    });
    const want = [...Array(3000).keys()].map((i) => `g${i}`.padEnd(200, "x"));
    assertEquals(keys, [...want, "log"].sort());
    using reader = await CollectionReader.open(storage, { progress: false });
    const log = reader.df("log");
    assertEquals(
      log.array("loss") as number[],
      [...Array(10).keys()].map((i) => i / 2),
    );
  },
});

Deno.test({
  name:
    "100,000 groups: refused by the fast reader's budget of structures, naming the file",
  ignore,
  async fn() {
    const { storage, file } = await run(100_000, 0);
    const { warnings, value } = await quietly(async () => {
      using reader = await CollectionReader.open(storage, {
        skipErrors: true,
        progress: false,
      });
      return reader.df("log", { skipErrors: true }).numRows();
    });
    assertEquals(value, 0);
    assertOk(
      warnings.some((w) =>
        w.includes(file) && w.includes("too many HDF5 structures to read")
      ),
      warnings.join("\n"),
    );
  },
});

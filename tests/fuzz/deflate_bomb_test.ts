// A valid store.h5 of about 1 MB whose log table deflates 1000 MiB of zeros:
// refused at its first read, naming the file, by the inflate budget of one
// open file (64 MiB plus 64 times its size); a smaller one within the budget
// reads whole.
import { join } from "node:path";
import { CollectionReader, Store, StoreFileError } from "../../mod.ts";
import { assertEquals, assertOk, assertThrows } from "../assert.ts";
import { ignoreUnless, runPython } from "../interop/python.ts";

const ignore = await ignoreUnless(["h5py"]);

async function bombRun(
  mib: number,
): Promise<{ storage: string; file: string }> {
  const storage = await Deno.makeTempDir({ prefix: "cox-deflate-bomb-" });
  {
    using store = await Store.open(storage, "run");
    const log = store.addTable("log", { step: "int", loss: "float" });
    log.appendRow({ step: 1, loss: 0.5 });
  }
  const file = join(storage, "run", "store.h5");
  await runPython(["h5py"], "../fuzz/_deflate_bomb.py", [file, String(mib)]);
  return { storage, file };
}

Deno.test({
  name:
    "deflate bomb store.h5: 1000 MiB of rows in a 1 MB file is refused by the inflate budget, naming the file",
  ignore,
  async fn() {
    const { storage, file } = await bombRun(1000);
    const size = Deno.statSync(file).size;
    assertOk(size > 1_000_000 && size < 1_300_000, `${size}`);
    using reader = await CollectionReader.open(storage, { progress: false });
    assertThrows(
      () => reader.df("log"),
      Error,
      `${file}: /log/table in ${file}: its deflated rows inflate to more than this file's limit of ${
        64 * 2 ** 20 + 64 * size
      } bytes`,
    );
    const cause = (() => {
      try {
        reader.df("log");
      } catch (e) {
        return (e as Error).cause;
      }
    })();
    assertOk(cause instanceof StoreFileError, String(cause));
  },
});

Deno.test({
  name:
    "deflate bomb store.h5: 32 MiB of zero rows, within the budget, read whole",
  ignore,
  async fn() {
    const { storage } = await bombRun(32);
    using reader = await CollectionReader.open(storage, { progress: false });
    const log = reader.df("log");
    // 1 MiB chunks of 24-byte rows (index, step, loss)
    const rows = Math.floor(2 ** 20 / 24) * 32;
    assertEquals(log.numRows(), rows);
    const loss = log.array("loss") as Float64Array;
    assertEquals([loss[0], loss[rows - 1]], [0, 0]);
  },
});

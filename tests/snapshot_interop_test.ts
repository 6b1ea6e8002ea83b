// A run's snapshot folder (<run>_snapshot, made by cox's snapshot_copy) is a
// run of its own for cox's CollectionReader, and so it is for ours.
import { assertEquals } from "./assert.ts";
import { CollectionReader } from "../mod.ts";
import { ignoreUnless, runPython } from "./interop/python.ts";

const MODULES = ["pandas", "tables"];

Deno.test({
  name:
    "CollectionReader counts <run>_snapshot made by Python cox as a run, as cox does",
  ignore: await ignoreUnless(MODULES),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "cox-snap-" });
    try {
      const cox = JSON.parse(
        await runPython(MODULES, "cox_snapshot.py", [dir]),
      );
      assertEquals(cox.stores, ["a", "a_snapshot", "b"]);
      using reader = await CollectionReader.open(dir, { progress: false });
      assertEquals([...reader.stores.keys()], cox.stores);
      const df = reader.df("log");
      assertEquals(Array.from(df.array("exp_id")), cox.exp_id);
      assertEquals(Array.from(df.array("x")), cox.x);
      using skipping = await CollectionReader.open(dir, {
        progress: false,
        skipSnapshots: true,
      });
      assertEquals([...skipping.stores.keys()], ["a", "b"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

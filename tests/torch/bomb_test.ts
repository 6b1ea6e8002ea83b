// A 2 MB torch archive whose two storages declare 1 KiB but inflate to
// 1000 MiB each is refused at the first byte past 1 KiB: the error names the
// object file and the entry, and the reading process stays small.
import { join } from "node:path";
import { CollectionReader, PYTORCH_STATE, Store } from "../../mod.ts";
import { readStateDict, TorchError } from "../../src/torch/mod.ts";
import { throws } from "node:assert/strict";
import { assertEquals, assertOk } from "../assert.ts";
import { ignoreUnless } from "../interop/python.ts";
import { runDeno } from "../spawn.ts";
import { torchBomb } from "./bomb.ts";

const ignore = await ignoreUnless(["torch"]);

Deno.test({
  name:
    "torch bomb: storages inflating to 1000 MiB past their declared 1 KiB are refused while inflating, naming file and entry",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "cox-torch-bomb-" });
    const { honest, bomb, declared } = await torchBomb(dir);
    assertOk(bomb.length > 2_000_000 && bomb.length < 2_200_000);
    const sd = readStateDict(honest) as Record<string, { data: Float32Array }>;
    assertEquals([...sd.b.data.subarray(0, 3)], [1, 1, 1]);
    throws(
      () => readStateDict(bomb, { file: "bomb.pt" }),
      (e: unknown) =>
        e instanceof TorchError && e.file === "bomb.pt" &&
        /^honest\/data\/\d$/.test(e.entry ?? "") &&
        e.message.includes("more than the 1024 bytes its header declares"),
    );
    // declaring their 1000 MiB, they pass the per-entry limit but not the
    // archive's inflate budget (64 MiB plus 64 times its 2 MB)
    throws(
      () => readStateDict(declared, { file: "declared.pt" }),
      (e: unknown) =>
        e instanceof TorchError && /^honest\/data\/\d$/.test(e.entry ?? "") &&
        e.message.includes(
          `deflated entries inflate to more than the archive's limit of ${
            64 * 2 ** 20 + 64 * declared.length
          } bytes`,
        ),
    );
    // a per-entry limit below the declared size refuses it from its header
    throws(
      () =>
        readStateDict(declared, {
          maxInflatedBytes: 2 ** 40,
          maxEntryBytes: 512 * 2 ** 20,
        }),
      (e: unknown) =>
        e instanceof TorchError &&
        e.message.includes("more than the 536870912-byte limit per entry"),
    );

    // the same through a run, in a child process whose peak RSS we read
    const run = join(dir, "sweep", "run");
    {
      using store = await Store.open(join(dir, "sweep"), "run");
      const t = store.addTable("weights", { sd: PYTORCH_STATE });
      t.appendRow({
        sd: {
          a: { dtype: "float32", shape: [1], data: new Float32Array([2]) },
        },
      });
    }
    const uuid = await (async () => {
      using reader = await CollectionReader.open(join(dir, "sweep"), {
        progress: false,
      });
      return (reader.df("weights").array("sd") as string[])[0];
    })();
    const file = join(run, ".table_objects", uuid);
    Deno.writeFileSync(file, bomb);
    const out = await runDeno(["run", "-A", "tests/torch/_read_state.ts", run]);
    assertEquals(out.code, 0, out.stderr);
    const got = JSON.parse(out.stdout) as {
      results: string[];
      ms: number;
      rss: number;
    };
    console.log(
      `torch bomb (${bomb.length} bytes): refused in ${
        got.ms.toFixed(0)
      } ms, child peak RSS ${got.rss.toFixed(0)} MB`,
    );
    assertEquals(got.results.length, 1);
    assertOk(got.results[0].startsWith("TorchError: torch: "), got.results[0]);
    assertOk(got.results[0].includes(file), got.results[0]);
    assertOk(got.results[0].includes("(entry honest/data/"), got.results[0]);
    assertOk(got.rss < 500, `${got.rss} MB`);

    // and the honest archive in the same place reads
    Deno.writeFileSync(file, honest);
    const back = await runDeno([
      "run",
      "-A",
      "tests/torch/_read_state.ts",
      run,
    ]);
    assertEquals(JSON.parse(back.stdout).results, ["ok 256 1"]);
  },
});

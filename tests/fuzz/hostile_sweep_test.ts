// A sweep of 2,000 good runs plus hostile ones reads with skipErrors: every
// good row present, every hostile run named in a warning, in bounded time
// and memory (printed).
import { join } from "node:path";
import { CollectionReader, Store } from "../../mod.ts";
import { assertEquals, assertOk } from "../assert.ts";
import { ignoreUnless, runPython } from "../interop/python.ts";
import { quietly } from "../warnings.ts";

const GOOD = 2000;
const ignore = await ignoreUnless(["h5py"]);

Deno.test({
  name:
    "2,000 good runs plus hostile ones read with skipErrors: all good rows, every hostile run named",
  ignore,
  async fn() {
    const storage = await Deno.makeTempDir({ prefix: "cox-hostile-sweep-" });
    {
      using store = await Store.open(storage, "good-0000");
      store.addTable("metadata", { lr: "float" }).appendRow({ lr: 0.5 });
      const log = store.addTable("log", { step: "int", loss: "float" });
      for (let i = 0; i < 100; i++) {
        log.appendRow({ step: i, loss: 1 / (i + 1) });
      }
    }
    const good = Deno.readFileSync(join(storage, "good-0000", "store.h5"));
    for (let r = 1; r < GOOD; r++) {
      const run = join(storage, `good-${String(r).padStart(4, "0")}`);
      Deno.mkdirSync(run);
      Deno.writeFileSync(join(run, "store.h5"), good);
    }
    const hostile: Record<string, Uint8Array> = {
      "bad-garbage": (() => {
        const b = new Uint8Array(70_000).map((_, i) => (i * 7919) & 0xff);
        b.set([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
        return b;
      })(),
      "bad-truncated": good.subarray(0, Math.floor(good.length / 2)),
      "bad-empty": new Uint8Array(0),
      // every byte after the superblock flipped: damaged structures everywhere
      "bad-flipped": good.map((b, i) => i < 96 ? b : b ^ 0x5a),
    };
    for (const [name, bytes] of Object.entries(hostile)) {
      Deno.mkdirSync(join(storage, name));
      Deno.writeFileSync(join(storage, name, "store.h5"), bytes);
    }
    // 16k groups beside a valid table, and a log that is an external link
    for (
      const [name, kind] of [["bad-groups", "groups"], ["bad-link", "link"]]
    ) {
      const run = join(storage, name);
      Deno.mkdirSync(run);
      Deno.writeFileSync(join(run, "store.h5"), good);
      if (kind === "link") {
        await runPython(["h5py"], "h5_external.py", [
          "link",
          join(run, "store.h5"),
          await Deno.makeTempDir(),
        ]);
      } else {
        await runPython(["h5py"], "../fuzz/_many_groups.py", [
          join(run, "store.h5"),
          "16000",
        ]);
      }
    }
    const t0 = performance.now();
    const { value, warnings } = await quietly(async () => {
      using reader = await CollectionReader.open(storage, {
        skipErrors: true,
        progress: false,
      });
      const log = reader.df("log", { skipErrors: true });
      const meta = reader.df("metadata", { skipErrors: true });
      return {
        log: log.numRows(),
        meta: meta.numRows(),
        ids: new Set(log.array("exp_id") as string[]),
      };
    });
    const ms = performance.now() - t0;
    const rss = Number(
      /VmHWM:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))?.[1],
    ) / 1024;
    console.log(
      `hostile sweep: ${GOOD} good + 6 hostile runs read in ${
        ms.toFixed(0)
      } ms, peak RSS ${rss.toFixed(0)} MB`,
    );
    // the many-groups run has a valid log: it reads (its extra groups are never visited)
    const readable = GOOD + 1;
    assertEquals(value.log, readable * 100);
    assertEquals(value.meta, readable);
    for (
      const name of [
        "bad-garbage",
        "bad-truncated",
        "bad-empty",
        "bad-flipped",
        "bad-link",
      ]
    ) {
      assertOk(!value.ids.has(name), name);
      assertOk(
        warnings.some((w) => w.includes(name)),
        `${name} not named:\n${warnings.join("\n")}`,
      );
    }
    assertOk(ms < 60_000, `${ms} ms`);
    assertOk(rss < 1500, `${rss} MB`);
  },
});

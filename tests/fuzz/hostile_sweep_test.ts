// A sweep of 2,000 good runs plus hostile ones reads with skipErrors: every
// good row present, every hostile run named in a warning, in bounded time
// and memory (printed).
import { join } from "node:path";
import { CollectionReader, PYTORCH_STATE, Store } from "../../mod.ts";
import { readWorkerStats } from "../../src/h5/isolated/client.ts";
import { warn } from "../../src/warn.ts";
import { torchBomb } from "../torch/bomb.ts";
import { assertEquals, assertOk } from "../assert.ts";
import { repack } from "../h5repack.ts";
import { ignoreUnless, runPython } from "../interop/python.ts";
import { quietly } from "../warnings.ts";

const GOOD = 2000;
const ignore = await ignoreUnless(["h5py", "torch"]);

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
      store.addTable("weights", { sd: PYTORCH_STATE }).appendRow({
        sd: {
          w: { dtype: "float32", shape: [2], data: new Float32Array([1, 2]) },
        },
      });
    }
    const good = Deno.readFileSync(join(storage, "good-0000", "store.h5"));
    const objects = join(storage, "good-0000", ".table_objects");
    const [sdName] = [...Deno.readDirSync(objects)].map((e) => e.name);
    const sd = Deno.readFileSync(join(objects, sdName));
    const copyRun = (name: string, h5 = good) => {
      const run = join(storage, name);
      Deno.mkdirSync(join(run, ".table_objects"), { recursive: true });
      Deno.writeFileSync(join(run, "store.h5"), h5);
      Deno.writeFileSync(join(run, ".table_objects", sdName), sd);
      return run;
    };
    for (let r = 1; r < GOOD; r++) {
      copyRun(`good-${String(r).padStart(4, "0")}`);
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
    // 16k groups beside a valid table, a log that is an external link, and
    // one deflating 1000 MiB of rows into 1 MB
    for (
      const [name, kind] of [
        ["bad-groups", "groups"],
        ["bad-link", "link"],
        ["bad-deflate-bomb", "bomb"],
      ]
    ) {
      const run = copyRun(name);
      if (kind === "bomb") {
        await runPython(["h5py"], "../fuzz/_deflate_bomb.py", [
          join(run, "store.h5"),
          "1000",
        ]);
      } else if (kind === "link") {
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
    // a good run whose log the fast reader hands to h5wasm's read Worker
    {
      const run = copyRun("h5-nbit");
      Deno.removeSync(join(run, "store.h5"));
      await repack(
        join(storage, "good-0000", "store.h5"),
        join(run, "store.h5"),
        "/log/table:NBIT",
      );
    }
    // a valid run whose state dict is a torch archive with two storages
    // declaring 1 KiB that inflate to 1000 MiB each
    const { bomb } = await torchBomb(await Deno.makeTempDir());
    const torchRun = copyRun("bad-torch-bomb");
    Deno.writeFileSync(join(torchRun, ".table_objects", sdName), bomb);

    // `deno test` runs every test file in one process: its peak RSS includes
    // earlier tests', so the peak is reset here (Linux: clear_refs 5) and the
    // sweep's cost is the peak above what the process held before it
    const status = () => Deno.readTextFileSync("/proc/self/status");
    const mb = (key: string) =>
      Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status())?.[1]) / 1024;
    Deno.writeTextFileSync("/proc/self/clear_refs", "5");
    const before = mb("VmRSS");
    const calls = readWorkerStats().calls;
    const t0 = performance.now();
    let tables = 0;
    const { value, warnings } = await quietly(async () => {
      using reader = await CollectionReader.open(storage, {
        skipErrors: true,
        progress: false,
      });
      const log = reader.df("log", { skipErrors: true });
      const meta = reader.df("metadata", { skipErrors: true });
      tables = performance.now() - t0;
      // state dicts as a sweep loads them: one per run, a failure warned about
      const weights = reader.df("weights", { skipErrors: true });
      const ids = weights.array("exp_id") as string[];
      const cells = weights.array("sd") as string[];
      let sum = 0;
      for (let i = 0; i < ids.length; i++) {
        try {
          const dict = reader.stores.get(ids[i])!.table("weights")
            .getStateDict(cells[i]) as Record<string, { data: Float32Array }>;
          sum += dict.w.data[1];
        } catch (e) {
          warn(`skipping the state dict of run ${ids[i]}: ${e}`);
        }
      }
      return {
        log: log.numRows(),
        meta: meta.numRows(),
        ids: new Set(log.array("exp_id") as string[]),
        sum,
      };
    });
    const ms = performance.now() - t0;
    const rss = mb("VmHWM") - before;
    console.log(
      `hostile sweep: ${GOOD} good + 1 nbit + 8 hostile runs read in ${
        ms.toFixed(0)
      } ms (log and metadata tables ${tables.toFixed(0)} ms), peak RSS ${
        rss.toFixed(0)
      } MB above the ${before.toFixed(0)} MB held before`,
    );
    // the many-groups run has a valid log: it reads (its extra groups are
    // never visited), and so do the tables of the torch-bomb run
    // and so does the nbit run, through the Worker
    const readable = GOOD + 3;
    assertOk(value.ids.has("h5-nbit"));
    assertOk(
      readWorkerStats().calls > calls,
      "the nbit run was read by the Worker",
    );
    assertEquals(value.log, readable * 100);
    // the deflate bomb is its log only: its other tables read
    assertEquals(value.meta, readable + 1);
    // every state dict but the torch bomb's
    assertEquals(value.sum, readable * 2);
    assertOk(value.ids.has("bad-torch-bomb"));
    assertOk(
      warnings.some((w) =>
        w.includes(
          `${
            join(torchRun, ".table_objects", sdName)
          }: inflates to more than the 1024 bytes`,
        )
      ),
      `bad-torch-bomb not named:\n${warnings.join("\n")}`,
    );
    for (
      const name of [
        "bad-garbage",
        "bad-truncated",
        "bad-empty",
        "bad-flipped",
        "bad-link",
        "bad-deflate-bomb",
      ]
    ) {
      assertOk(!value.ids.has(name), name);
      assertOk(
        warnings.some((w) => w.includes(name)),
        `${name} not named:\n${warnings.join("\n")}`,
      );
    }
    // a guard against hangs, not a speed test (2 cores shared by many processes)
    assertOk(ms < 300_000, `${ms} ms`);
    assertOk(rss < 500, `${rss} MB above the ${before} MB held before`);
  },
});

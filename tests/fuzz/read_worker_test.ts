// h5wasm's read fallback runs in a Worker (src/h5/isolated/): a trap, a leak
// or a call over its time limit ends that Worker, with an error naming the
// file, and the next read starts a new one; a reading process never loads
// h5wasm on its own thread.
import { join } from "node:path";
import { CollectionReader, Store, StoreFileError } from "../../mod.ts";
import {
  readWorkerStats,
  setReadWorkerLimits,
} from "../../src/h5/isolated/client.ts";
import { assertEquals, assertOk } from "../assert.ts";
import { repack } from "../h5repack.ts";
import { ignoreUnless, runPython } from "../interop/python.ts";
import { quietly } from "../warnings.ts";

const ignore = await ignoreUnless(["pandas", "tables"]);
const ROWS = 300;

/** A sweep of runs `name` whose store.h5 pandas wrote with `complib`. */
async function compressedSweep(
  runs: Record<string, string>,
): Promise<string> {
  const storage = await Deno.makeTempDir({ prefix: "cox-read-worker-" });
  for (const [name, complib] of Object.entries(runs)) {
    Deno.mkdirSync(join(storage, name));
    await runPython(["pandas", "tables"], "compressed_store.py", [
      join(storage, name, "store.h5"),
      complib,
      String(ROWS),
    ]);
  }
  return storage;
}

/** Reads the lzo run's log `times` times (each read fails in HDF5: no lzo filter). */
function failedReads(store: Store, times: number): string[] {
  const messages: string[] = [];
  for (let i = 0; i < times; i++) {
    try {
      store.table("log").rows();
      messages.push("read");
    } catch (error) {
      assertOk(error instanceof StoreFileError, String(error));
      messages.push((error as Error).message);
      if ((error as Error).message.includes("crashed")) break;
    }
  }
  return messages;
}

Deno.test({
  name:
    "h5wasm reads in a Worker: 2,000 failed reads leave it sound (replaced every 500 failures); without that limit HDF5 traps, the file is named and the next read works",
  ignore,
  async fn() {
    const storage = await compressedSweep({ lzo: "lzo", blosc: "blosc" });
    const lzo = join(storage, "lzo", "store.h5");
    const readBlosc = async () => {
      using blosc = await Store.open(storage, "blosc", { mode: "r" });
      return blosc.table("log").rows().length;
    };
    try {
      assertEquals(await readBlosc(), ROWS);
      const before = readWorkerStats();
      {
        using store = await Store.open(storage, "lzo", { mode: "r" });
        const messages = failedReads(store, 2000);
        assertEquals(messages.length, 2000);
        for (const m of messages) {
          assertOk(m.includes("lzo filter") && m.includes(lzo), m);
          assertOk(!m.includes("crashed"), m);
        }
      }
      const after = readWorkerStats();
      const replaced = after.retired.slice(before.retired.length);
      assertOk(replaced.length >= 3, JSON.stringify(replaced));
      assertOk(replaced.every((why) => why.endsWith("failed HDF5 calls")));
      assertEquals(await readBlosc(), ROWS);

      // the leak for real: h5wasm 0.10.3 traps after about 1,770 of them
      setReadWorkerLimits({ maxFailures: Infinity });
      await readBlosc(); // a fresh Worker
      const start = readWorkerStats();
      {
        using store = await Store.open(storage, "lzo", { mode: "r" });
        const messages = failedReads(store, 5000);
        const last = messages.at(-1)!;
        assertOk(
          last.includes("HDF5 crashed on it") && last.includes(lzo),
          last,
        );
        assertOk(messages.length > 1000, String(messages.length));
      }
      const end = readWorkerStats();
      assertOk(
        end.retired.slice(start.retired.length).some((why) =>
          why.startsWith("trap: ")
        ),
        JSON.stringify(end.retired),
      );
      // the process goes on: a new Worker reads the blosc run
      assertEquals(await readBlosc(), ROWS);
      assertOk(readWorkerStats().boots > end.boots);
    } finally {
      setReadWorkerLimits({});
    }
  },
});

Deno.test({
  name:
    "an h5wasm call over its time limit ends the Worker with an error naming the file; the sweep's other runs read, and the next read starts a new Worker",
  ignore,
  async fn() {
    const storage = await compressedSweep({
      blosc: "blosc",
      zstd: "blosc:zstd",
    });
    using reader = await CollectionReader.open(storage, { progress: false });
    try {
      setReadWorkerLimits({ callMs: 0, msPerMiB: 0 });
      const before = readWorkerStats();
      const { value, warnings } = await quietly(() =>
        Promise.resolve(reader.df("log", { skipErrors: true }).numRows())
      );
      assertEquals(value, 0);
      for (const run of ["blosc", "zstd"]) {
        const path = join(storage, run, "store.h5");
        assertOk(
          warnings.some((w) =>
            w.includes(path) && w.includes("spent more than")
          ),
          warnings.join("\n"),
        );
      }
      const timeouts = readWorkerStats().retired.slice(before.retired.length);
      assertEquals(timeouts.length, 2);
      assertOk(timeouts.every((why) => why.startsWith("timeout: ")));
    } finally {
      setReadWorkerLimits({});
    }
    const frame = reader.df("log");
    assertEquals(frame.numRows(), 2 * ROWS);
    assertEquals((frame.array("b") as number[])[ROWS - 1], 3 * (ROWS - 1));
  },
});

Deno.test({
  name:
    "a process that only reads never loads h5wasm on its own thread, blosc runs included",
  ignore,
  async fn() {
    const storage = await compressedSweep({ blosc: "blosc", lz4: "blosc:lz4" });
    const mod = new URL("../../mod.ts", import.meta.url).href;
    const h5 = new URL("../../src/h5/h5wasm.ts", import.meta.url).href;
    const client = new URL("../../src/h5/isolated/client.ts", import.meta.url)
      .href;
    const code = `
      import { CollectionReader } from "${mod}";
      import { h5Loaded } from "${h5}";
      import { readWorkerStats } from "${client}";
      using reader = await CollectionReader.open(${
      JSON.stringify(storage)
    }, { progress: false });
      const rows = reader.df("log").numRows();
      console.log(JSON.stringify({ rows, loaded: h5Loaded(), stats: readWorkerStats() }));`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", code],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertOk(out.success, new TextDecoder().decode(out.stderr));
    const got = JSON.parse(new TextDecoder().decode(out.stdout));
    assertEquals(got.rows, 2 * ROWS);
    assertEquals(got.loaded, false);
    assertEquals(got.stats.boots, 1);
    assertOk(got.stats.calls >= 4, JSON.stringify(got.stats));
  },
});

Deno.test("without read access to cox's modules the Worker cannot start: files are read on the main thread, with one warning for the sweep", async () => {
  const storage = await Deno.makeTempDir({ prefix: "cox-read-worker-" });
  {
    using store = await Store.open(storage, "plain");
    const log = store.addTable("log", { step: "int" });
    for (let i = 0; i < 10; i++) log.appendRow({ step: i });
  }
  const plain = join(storage, "plain", "store.h5");
  for (const run of ["a", "b", "c"]) {
    Deno.mkdirSync(join(storage, run));
    await repack(plain, join(storage, run, "store.h5"), "/log/table:NBIT");
  }
  Deno.removeSync(join(storage, "plain"), { recursive: true });
  const mod = new URL("../../mod.ts", import.meta.url).href;
  const client = new URL("../../src/h5/isolated/client.ts", import.meta.url)
    .href;
  const script = join(await Deno.makeTempDir(), "read.ts");
  Deno.writeTextFileSync(
    script,
    `import { CollectionReader } from "${mod}";
import { readWorkerStats } from "${client}";
using reader = await CollectionReader.open(Deno.args[0], { progress: false });
console.log(JSON.stringify({ rows: reader.df("log").numRows(), boots: readWorkerStats().boots }));`,
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--allow-read=${storage},${script}`,
      "--allow-env",
      script,
      storage,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertOk(out.success, stderr);
  assertEquals(JSON.parse(new TextDecoder().decode(out.stdout)), {
    rows: 30,
    boots: 1,
  });
  const warnings = stderr.split("\n").filter((l) => l.includes("not isolated"));
  assertEquals(warnings.length, 1, stderr);
});

// cox export of 2,000 runs x 1,000 rows to Parquet, in a fresh process
// (cold imports included), as a user runs it: wall time and peak RSS
// (targets: under 3 s and under 300 MB). Also the Hive-partitioned export and
// an incremental re-export after one run grew. Two sweeps: one our Store wrote
// (metadata + a 3-column log), one Python cox's layout wrote through pandas
// (bench/cox_sweep.py: values blocks and a PyTables index, a 4-column log with
// a str column), as a user's sweep from a cluster would be.
import { join } from "node:path";
import { Store } from "../mod.ts";

const RUNS = Number(Deno.env.get("COX_BENCH_EXPORT_RUNS") ?? 2000);
const ROWS = 1000;
const TRIALS = 3;
const CLI = new URL("../cli.ts", import.meta.url).pathname;

async function makeSweep(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "cox-bench-export-" });
  for (let r = 0; r < RUNS; r++) {
    using store = await Store.open(dir, crypto.randomUUID());
    store.addTable("metadata", { lr: "float", name: "str" }).appendRow({
      lr: r / 1000,
      name: `run ${r}`,
    });
    const log = store.addTable("log", {
      step: "int",
      loss: "float",
      acc: "float",
    });
    for (let i = 0; i < ROWS; i++) {
      log.appendRow({ step: i, loss: 1 / (i + 1 + r), acc: Math.random() });
    }
  }
  return dir;
}

/** A sweep as Python cox writes it (pandas HDFStore, PyTables), made by bench/cox_sweep.py. */
async function makePythonSweep(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "cox-bench-export-py-" });
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [
      new URL("cox_sweep.py", import.meta.url).pathname,
      "write",
      dir,
      String(RUNS),
      String(ROWS),
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `bench/cox_sweep.py write failed: ${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  return dir;
}

/** Runs `cox export` in a fresh process: wall time, and peak RSS from GNU time. */
async function timedExport(
  dir: string,
  out: string,
  extra: string[],
): Promise<{ ms: number; peakMb: number }> {
  const stats = join(out, "..", `time-${crypto.randomUUID()}.txt`);
  const t0 = performance.now();
  const { success, stderr } = await new Deno.Command("/usr/bin/time", {
    args: [
      "-f",
      "%M",
      "-o",
      stats,
      Deno.execPath(),
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys=hostname",
      CLI,
      "export",
      dir,
      "log",
      "--out",
      out,
      ...extra,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  if (!success) throw new Error(new TextDecoder().decode(stderr));
  const peakKb = Number(
    (await Deno.readTextFile(stats)).trim().split("\n").pop(),
  );
  return { ms, peakMb: peakKb / 1024 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const work = await Deno.makeTempDir({ prefix: "cox-bench-export-out-" });

const report = async (
  dir: string,
  label: string,
  extra: string[],
  fresh: boolean,
) => {
  const runs = [];
  for (let t = 0; t < TRIALS; t++) {
    const out = join(work, fresh ? `${label}-${t}` : label);
    runs.push(await timedExport(dir, out, extra));
    if (fresh) await Deno.remove(out, { recursive: true });
  }
  const ms = median(runs.map((r) => r.ms));
  const mb = median(runs.map((r) => r.peakMb));
  console.log(
    `export: ${label}, ${RUNS} runs x ${ROWS} rows: median ${
      ms.toFixed(0)
    } ms ` +
      `(${((RUNS * ROWS) / ms * 1000 / 1e6).toFixed(2)} M rows/s), ` +
      `peak RSS ${mb.toFixed(0)} MB, of ${TRIALS} fresh processes`,
  );
};

const ours = await makeSweep();
// one run to warm Deno's module cache (a user's second run, not a download)
await timedExport(ours, join(work, "warm"), []);
await report(ours, "our Store's sweep, one Parquet file", [], true);
await report(ours, "our Store's sweep, --partition", ["--partition"], true);
// again into the same folder: nothing changed, nothing rewritten
await timedExport(ours, join(work, "incremental"), ["--partition"]);
await report(
  ours,
  "our Store's sweep, --partition again, unchanged",
  ["--partition"],
  false,
);
await Deno.remove(ours, { recursive: true });

const python = await makePythonSweep();
await report(python, "Python cox's sweep, one Parquet file", [], true);
await Deno.remove(python, { recursive: true });

Deno.bench({
  name:
    "export bench (figures printed above; this entry only keeps deno bench happy)",
  n: 1,
  fn() {},
});
await Deno.remove(work, { recursive: true });

// cox export of 2,000 runs x 1,000 rows to Parquet, in a fresh process
// (cold imports included), as a user runs it: wall time and peak RSS
// (targets: under 3 s and under 300 MB). Also the Hive-partitioned export and
// an incremental re-export after one run grew. Two sweeps: one our Store wrote
// (metadata + a 3-column log), one Python cox's layout wrote through pandas
// (bench/cox_sweep.py: values blocks and a PyTables index, a 4-column log with
// a str column), as a user's sweep from a cluster would be.
//
// Making the sweeps takes a while (the Python one about a minute): give
// COX_BENCH_EXPORT_OURS and/or COX_BENCH_EXPORT_PYTHON the folder of one made
// before (it is made there if missing, and kept). Each line gives the median
// wall time, user+sys CPU time and peak RSS of fresh processes, and the load
// average: the machine may be shared, and wall times are noisy then.
import { join } from "node:path";
import { Store } from "../mod.ts";

const RUNS = Number(Deno.env.get("COX_BENCH_EXPORT_RUNS") ?? 2000);
const ROWS = 1000;
const TRIALS = 3;
const CLI = new URL("../cli.ts", import.meta.url).pathname;

/** The folder named by `env` (kept), or a fresh temporary one (removed at the end). */
async function sweepDir(
  env: string,
  prefix: string,
): Promise<{ dir: string; made: boolean; keep: boolean }> {
  const given = Deno.env.get(env);
  if (given === undefined) {
    return {
      dir: await Deno.makeTempDir({ prefix }),
      made: false,
      keep: false,
    };
  }
  try {
    const runs = [...Deno.readDirSync(given)].length;
    if (runs !== RUNS) {
      throw new Error(`${env}=${given} holds ${runs} runs, expected ${RUNS}`);
    }
    return { dir: given, made: true, keep: true };
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    await Deno.mkdir(given, { recursive: true });
    return { dir: given, made: false, keep: true };
  }
}

async function makeSweep(dir: string): Promise<void> {
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
}

/** A sweep as Python cox writes it (pandas HDFStore, PyTables), made by bench/cox_sweep.py. */
async function makePythonSweep(dir: string): Promise<void> {
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
}

/** Runs `cox export` in a fresh process: wall time, and CPU time and peak RSS from GNU time. */
async function timedExport(
  dir: string,
  out: string,
  extra: string[],
): Promise<{ ms: number; cpuMs: number; peakMb: number }> {
  const stats = join(out, "..", `time-${crypto.randomUUID()}.txt`);
  const t0 = performance.now();
  const { success, stderr } = await new Deno.Command("/usr/bin/time", {
    args: [
      "-f",
      "%U %S %M",
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
  const [user, sys, peakKb] = (await Deno.readTextFile(stats)).trim().split(
    "\n",
  ).pop()!.split(" ").map(Number);
  return { ms, cpuMs: (user + sys) * 1000, peakMb: peakKb / 1024 };
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
  const cpu = median(runs.map((r) => r.cpuMs));
  const mb = median(runs.map((r) => r.peakMb));
  console.log(
    `export: ${label}, ${RUNS} runs x ${ROWS} rows: median ${
      ms.toFixed(0)
    } ms wall, ${cpu.toFixed(0)} ms user+sys CPU ` +
      `(${((RUNS * ROWS) / ms * 1000 / 1e6).toFixed(2)} M rows/s), ` +
      `peak RSS ${mb.toFixed(0)} MB, of ${TRIALS} fresh processes; ` +
      `load average ${Deno.loadavg().map((l) => l.toFixed(1)).join(" ")}`,
  );
};

const ours = await sweepDir("COX_BENCH_EXPORT_OURS", "cox-bench-export-");
if (!ours.made) await makeSweep(ours.dir);
// one run to warm Deno's module cache (a user's second run, not a download)
await timedExport(ours.dir, join(work, "warm"), []);
await report(ours.dir, "our Store's sweep, one Parquet file", [], true);
await report(ours.dir, "our Store's sweep, --partition", ["--partition"], true);
// again into the same folder: nothing changed, nothing opened or rewritten
await timedExport(ours.dir, join(work, "incremental"), ["--partition"]);
await report(
  ours.dir,
  "our Store's sweep, --partition again, unchanged",
  ["--partition"],
  false,
);
if (!ours.keep) await Deno.remove(ours.dir, { recursive: true });

const python = await sweepDir(
  "COX_BENCH_EXPORT_PYTHON",
  "cox-bench-export-py-",
);
if (!python.made) await makePythonSweep(python.dir);
await report(python.dir, "Python cox's sweep, one Parquet file", [], true);
if (!python.keep) await Deno.remove(python.dir, { recursive: true });

Deno.bench({
  name:
    "export bench (figures printed above; this entry only keeps deno bench happy)",
  n: 1,
  fn() {},
});
await Deno.remove(work, { recursive: true });

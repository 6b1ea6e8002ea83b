// Reading a sweep that Python cox wrote, from a cold start, as a user meets it:
// each measurement is a fresh `deno run` (imports, no warm caches) of
// CollectionReader.open + df("log") + df("metadata"), next to Python cox's
// CollectionReader (bench/cox_sweep.py, pandas as cox uses it) on the same
// files, and `cox ls`. Sweeps: 200 and 2,000 runs of a 1-row metadata table
// and a 1000-row log, written by pandas in cox's layout (values blocks,
// PyTables index); kept in /tmp between runs of the bench (they take a
// minute or two to write). Medians of fresh processes, in one run, with the
// main thread's CPU time per step (steadier than wall time on a busy machine).
import { findPython } from "../tests/interop/python.ts";

const here = new URL(".", import.meta.url).pathname;
const RUNS = Number(Deno.env.get("COX_BENCH_RUNS") ?? 7);

async function sweep(python: string, runs: number): Promise<string> {
  const dir = `/tmp/cox-bench-pysweep-v1-${runs}x1000`;
  try {
    Deno.statSync(`${dir}/.complete`);
    return dir;
  } catch {
    // not made yet
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  const out = await new Deno.Command(python, {
    args: [`${here}cox_sweep.py`, "write", dir, String(runs), "1000"],
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`cox_sweep.py write failed`);
  Deno.writeTextFileSync(`${dir}/.complete`, "");
  return dir;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? s[(s.length - 1) / 2]
    : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

interface Child {
  wall: number;
  import: number;
  open: number;
  log: number;
  metadata: number;
  total: number;
  rssMB: number;
  rows: number;
  /** Main thread's CPU ms per step, and the whole process's (user + sys). */
  cpu: {
    import: number;
    open: number;
    log: number;
    metadata: number;
    main: number;
    process: number;
  };
}

async function ours(dir: string): Promise<Child> {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${here}_read_sweep.ts`, dir],
    stderr: "inherit",
  }).output();
  const wall = performance.now() - t0;
  if (!out.success) throw new Error("_read_sweep.ts failed");
  return { wall, ...JSON.parse(new TextDecoder().decode(out.stdout)) };
}

async function ls(dir: string): Promise<number> {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${here}../cli.ts`, "ls", dir],
    stdout: "null",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("cox ls failed");
  return performance.now() - t0;
}

async function cox(python: string, dir: string): Promise<number> {
  const t0 = performance.now();
  const out = await new Deno.Command(python, {
    args: [`${here}cox_sweep.py`, "read", dir],
    stderr: "null",
  }).output();
  if (!out.success) throw new Error("cox_sweep.py read failed");
  return performance.now() - t0;
}

const python = await findPython(["pandas", "tables"]);
if (python === null) {
  console.log(
    "reader_cold_bench: Debian's pandas and PyTables are missing; skipped",
  );
} else {
  for (const runs of [200, 2000]) {
    const dir = await sweep(python, runs);
    const results: Child[] = [];
    const lsTimes: number[] = [];
    const coxTimes: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      results.push(await ours(dir));
      if (runs === 200) lsTimes.push(await ls(dir));
      if (i < (runs > 200 ? 1 : 3)) coxTimes.push(await cox(python, dir));
    }
    const m = (k: Exclude<keyof Child, "cpu">) =>
      median(results.map((r) => r[k])).toFixed(0);
    const cpu = (k: keyof Child["cpu"]) =>
      median(results.map((r) => r.cpu[k])).toFixed(0);
    const c = median(coxTimes);
    console.log(
      `\nreader, cold, ${runs} Python-written runs x 1000 rows (medians of ${RUNS} fresh processes): ` +
        `import + open + df("log") + df("metadata") ${m("total")} ms ` +
        `(import ${m("import")}, open ${m("open")}, log ${m("log")}, metadata ${
          m("metadata")
        }), ` +
        `whole process ${m("wall")} ms, peak RSS ${m("rssMB")} MB; ` +
        `CPU: main thread ${cpu("main")} ms (import ${cpu("import")}, open ${
          cpu("open")
        }, log ${cpu("log")}, metadata ${cpu("metadata")}), process ${
          cpu("process")
        } ms; load average ${Deno.loadavg()[0].toFixed(1)}; ` +
        `Python cox's CollectionReader (whole process, median of ${coxTimes.length}): ${
          c.toFixed(0)
        } ms, ` +
        `${(c / Number(m("wall"))).toFixed(1)}x ours`,
    );
    if (lsTimes.length > 0) {
      console.log(
        `cox ls on ${runs} runs: ${
          median(lsTimes).toFixed(0)
        } ms wall (median of ${RUNS})`,
      );
    }
  }
}

Deno.bench({ name: "reader_cold (see the lines printed above)", fn() {} });

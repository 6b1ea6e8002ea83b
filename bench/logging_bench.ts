// Logging speed, each run in a fresh process (Store.open's h5wasm load
// included), next to Python's in the same run when Debian's Python is there:
// (a) 200,000 appendRow calls of { loss, acc, epoch, tag } with unique tags,
//     then close(), against cox's own per-row HDFStore.append;
// (b) appendColumns of 10M such rows (+ close) against h5py's bulk write of
//     the same rows.
import { findPython } from "../tests/interop/python.ts";

const ROWS = 200_000;
const BULK_ROWS = 10_000_000;
const COX_ROWS = 300; // cox takes ~2 ms a row: a few hundred give a steady mean
const RUNS = 3;

const script = new URL("./_log_rows_fresh.ts", import.meta.url).pathname;

interface Timing {
  ms: number;
  cpuMs: number;
}

/**
 * Writes back every dirty page first: a run that writes hundreds of MB
 * leaves writeback that slows the next one (ours or h5py's) by up to 2x.
 */
function settleDisk(): void {
  new Deno.Command("sync").outputSync();
}

async function fresh(rows: number, how: string): Promise<Timing> {
  settleDisk();
  const dir = await Deno.makeTempDir({ prefix: "cox-log-bench-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, dir, String(rows), how],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error(`${script} failed (${out.code})`);
    return JSON.parse(new TextDecoder().decode(out.stdout));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function python(
  py: string,
  file: string,
  rows: number,
): Promise<number> {
  settleDisk();
  const out = await new Deno.Command(py, {
    args: [new URL(file, import.meta.url).pathname, String(rows)],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`${file} failed (${out.code})`);
  return Number(new TextDecoder().decode(out.stdout).trim());
}

async function median(body: () => Promise<number>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await body());
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Medians of wall and CPU time over RUNS fresh processes. */
async function medians(rows: number, how: string): Promise<Timing> {
  const runs: Timing[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await fresh(rows, how));
  const mid = (values: number[]) =>
    values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  return {
    ms: mid(runs.map((r) => r.ms)),
    cpuMs: mid(runs.map((r) => r.cpuMs)),
  };
}

const load = () => Deno.loadavg().map((l) => l.toFixed(2)).join(" ");

const mrs = (rows: number, ms: number) =>
  `${(rows / ms / 1000).toFixed(2)} M rows/s`;

const loadBefore = load();
const rowRuns = await medians(ROWS, "rows");
const columnRuns = await medians(BULK_ROWS, "columns");
const rowMs = rowRuns.ms;
const columnsMs = columnRuns.ms;
const cox = await findPython(["pandas", "tables"]);
const h5py = await findPython(["h5py", "numpy"]);
const coxRowS = cox === null
  ? null
  : await python(cox, "cox_append_rows.py", COX_ROWS);
const h5pyS = h5py === null
  ? null
  : await median(async () =>
    1000 * await python(h5py, "h5py_bulk.py", BULK_ROWS)
  );

console.log(
  `\nlogging (fresh processes, medians of ${RUNS}; load average ${loadBefore} before, ${load()} after):\n` +
    `  (a) appendRow ${ROWS} rows, unique tags, Store.open..close(): ` +
    `${rowMs.toFixed(0)} ms (CPU ${rowRuns.cpuMs.toFixed(0)} ms) = ${
      mrs(ROWS, rowMs)
    }` +
    (coxRowS === null
      ? ""
      : `; cox per-row append: ${(1 / coxRowS).toFixed(0)} rows/s, so ${
        (ROWS / rowMs * 1000 * coxRowS).toFixed(0)
      }x`) +
    `\n  (b) appendColumns ${BULK_ROWS} rows + close(): ` +
    `${columnsMs.toFixed(0)} ms (CPU ${columnRuns.cpuMs.toFixed(0)} ms) = ${
      mrs(BULK_ROWS, columnsMs)
    }` +
    (h5pyS === null
      ? ""
      : `; h5py bulk write: ${h5pyS.toFixed(0)} ms, so ${
        (columnsMs / h5pyS).toFixed(1)
      }x h5py's time`),
);

Deno.bench({
  name: `appendRow ${ROWS} rows, fresh process, Store.open..close()`,
  n: 1,
  warmup: 0,
  async fn() {
    await fresh(ROWS, "rows");
  },
});

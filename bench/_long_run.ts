// One fresh process of bench/long_run_bench.ts. `run DIR`: ROWS rows logged
// as fast as possible (a flush every 50,000 rows), then SLOW_S seconds of
// RATE rows/s (a flush every 100 ms) while a pandas process polls the
// table's row count. `noawait DIR`: ROWS rows in a loop that never awaits
// (only flushMs flushes them), then close(). Prints one JSON object.
import { Store } from "../mod.ts";
import { findPython } from "../tests/interop/python.ts";

const [mode, dir] = Deno.args;
const env = (name: string, fallback: number) =>
  Number(Deno.env.get(name) ?? fallback);
const ROWS = env("COX_LONG_ROWS", 20_000_000);
const SLOW_S = env("COX_LONG_SLOW_S", 60);
const RATE = env("COX_LONG_RATE", 5000);
const SCHEMA = {
  loss: "float",
  acc: "float",
  epoch: "int",
  tag: "str",
} as const;
/** Bytes of one row as stored: index, loss, acc, epoch, a 32-byte tag. */
const ROW_BYTES = 64;

const rowAt = (i: number) => ({
  loss: 1 / (i + 1),
  acc: (i % 1000) / 1000,
  epoch: i >> 16,
  tag: i % 2 ? "train" : "valid",
});

/** This process's I/O counters: bytes handed to write() and bytes sent to the disk. */
function io(): { wchar: number; writeBytes: number } {
  const text = Deno.readTextFileSync("/proc/self/io");
  const get = (key: string) =>
    Number(new RegExp(`^${key}: (\\d+)`, "m").exec(text)![1]);
  return { wchar: get("wchar"), writeBytes: get("write_bytes") };
}

/** Peak resident memory since the last reset, in MB. */
function peakMB(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)![1]) / 1024;
}

function resetPeak(): void {
  try {
    Deno.writeTextFileSync("/proc/self/clear_refs", "5");
  } catch {
    // an older kernel: the peak then counts from the start
  }
}

/** What one phase of the run measured (printed as JSON for long_run_bench.ts). */
export interface Phase {
  rows: number;
  seconds: number;
  writeAmplification: number;
  wcharAmplification: number;
  peakRssMB: number;
  slowestFlushMs: number;
}

function phase(
  rows: number,
  t0: number,
  before: ReturnType<typeof io>,
  slowest: number,
): Phase {
  const after = io();
  const data = rows * ROW_BYTES;
  return {
    rows,
    seconds: (performance.now() - t0) / 1000,
    writeAmplification: (after.writeBytes - before.writeBytes) / data,
    wcharAmplification: (after.wchar - before.wchar) / data,
    peakRssMB: peakMB(),
    slowestFlushMs: slowest,
  };
}

/** A pandas process printing "<epoch ms> <rows>" of the table every 100 ms. */
const POLLER = `
import sys, time, warnings
import pandas as pd
warnings.simplefilter("ignore")
print("ready", flush=True)
while True:
    try:
        with pd.HDFStore(sys.argv[1], mode="r") as s:
            n = s.get_storer("log").nrows
        print(f"{time.time() * 1000:.0f} {n}", flush=True)
    except Exception as e:
        print(f"{time.time() * 1000:.0f} -1", flush=True)
    time.sleep(0.1)
`;

async function run(): Promise<unknown> {
  const store = await Store.open(dir, "run", { flushMs: 60_000 });
  const log = store.addTable("log", SCHEMA);
  // fast phase
  resetPeak();
  let before = io();
  let t0 = performance.now();
  let slowest = 0;
  const timedFlush = () => {
    const f0 = performance.now();
    store.flush();
    const ms = performance.now() - f0;
    if (ms > slowest) slowest = ms;
  };
  for (let i = 0; i < ROWS; i++) {
    log.appendRow(rowAt(i));
    if ((i + 1) % 50_000 === 0) timedFlush();
  }
  timedFlush();
  const fast = phase(ROWS, t0, before, slowest);

  // slow phase, watched by pandas
  const python = await findPython(["pandas", "tables"]);
  const seen: [number, number][] = [];
  let poller: Deno.ChildProcess | null = null;
  let reading: Promise<void> = Promise.resolve();
  if (python !== null) {
    poller = new Deno.Command(python, {
      args: ["-c", POLLER, store.storePath],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const lines = poller.stdout.pipeThrough(new TextDecoderStream());
    let ready!: () => void;
    const isReady = new Promise<void>((r) => ready = r);
    reading = (async () => {
      let rest = "";
      for await (const chunk of lines) {
        rest += chunk;
        const parts = rest.split("\n");
        rest = parts.pop()!;
        for (const line of parts) {
          if (line === "ready") ready();
          else {
            const [at, n] = line.split(" ").map(Number);
            seen.push([at, n]);
          }
        }
      }
    })();
    await isReady;
  }
  resetPeak();
  before = io();
  t0 = performance.now();
  slowest = 0;
  const flushes: [number, number][] = []; // [epoch ms when flush returned, rows]
  let n = ROWS;
  const end = performance.now() + SLOW_S * 1000;
  while (performance.now() < end) {
    // RATE rows/s however long a flush takes
    const due = ROWS + Math.floor((performance.now() - t0) / 1000 * RATE);
    while (n < due) log.appendRow(rowAt(n++));
    timedFlush();
    flushes.push([Date.now(), n]);
    await new Promise((r) => setTimeout(r, 100));
  }
  const slow = phase(n - ROWS, t0, before, slowest);
  // let pandas see the last flush
  await new Promise((r) => setTimeout(r, 6000));
  poller?.kill();
  await poller?.status;
  await reading.catch(() => {});
  store.close();
  // lag: from a flush's return to pandas' first count that includes it
  const lags = flushes.map(([at, rows]) => {
    const hit = seen.find(([t, k]) => t >= at && k >= rows);
    return hit === undefined ? Infinity : hit[0] - at;
  });
  lags.sort((a, b) => a - b);
  return {
    rowBytes: ROW_BYTES,
    fast,
    slow,
    pandasLagMs: python === null ? null : {
      median: lags[Math.floor(lags.length / 2)],
      max: lags[lags.length - 1],
      flushes: lags.length,
    },
  };
}

async function noAwait(): Promise<unknown> {
  const store = await Store.open(dir, "run");
  const log = store.addTable("log", SCHEMA);
  const before = io();
  const t0 = performance.now();
  for (let i = 0; i < ROWS; i++) log.appendRow(rowAt(i));
  const loopS = (performance.now() - t0) / 1000;
  const c0 = performance.now();
  store.close();
  const closeMs = performance.now() - c0;
  const p = phase(ROWS, t0, before, 0);
  return { ...p, loopSeconds: loopS, closeMs };
}

const result = mode === "noawait" ? await noAwait() : await run();
console.log(JSON.stringify(result));

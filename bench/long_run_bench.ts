// A long run, as a training job logs it, in fresh processes
// (bench/_long_run.ts): 20M rows of { loss, acc, epoch, tag } (64 bytes a
// row on disk) logged as fast as possible with a flush every 50,000 rows,
// then 60 s of slow logging (5,000 rows/s, a flush every 100 ms) on that
// big table while pandas polls its row count; and 20M rows in a loop that
// never awaits. Per phase: bytes written per byte of row data (by
// /proc/self/io write_bytes, what reaches the disk, and wchar, what is
// handed to write()), peak RSS (VmHWM), the slowest flush, and how long
// after a flush pandas sees its rows. Targets (issue 14): at most 6x,
// 300 MB, no flush over 1 s, pandas within 5 s. Knobs: COX_LONG_ROWS,
// COX_LONG_SLOW_S, COX_LONG_RATE.
import type { Phase } from "./_long_run.ts";
const here = new URL(".", import.meta.url).pathname;

async function child(mode: string): Promise<Record<string, unknown>> {
  const dir = await Deno.makeTempDir({ prefix: "cox-bench-long-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${here}_long_run.ts`, mode, dir],
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error(`_long_run.ts ${mode} failed`);
    return JSON.parse(new TextDecoder().decode(out.stdout));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const verdict = (ok: boolean) => ok ? "ok" : "OVER TARGET";

function line(name: string, p: Phase): string {
  const ok = p.writeAmplification <= 6 && p.wcharAmplification <= 6 &&
    p.peakRssMB <= 300 && p.slowestFlushMs <= 1000;
  return `  ${name}: ${p.rows} rows in ${p.seconds.toFixed(1)} s; written ${
    p.writeAmplification.toFixed(2)
  }x (write_bytes), ${p.wcharAmplification.toFixed(2)}x (wchar); peak RSS ${
    p.peakRssMB.toFixed(0)
  } MB; slowest flush ${p.slowestFlushMs.toFixed(0)} ms [${verdict(ok)}]`;
}

const run = await child("run") as {
  fast: Phase;
  slow: Phase;
  pandasLagMs: { median: number; max: number; flushes: number } | null;
};
const noAwait = await child("noawait") as unknown as Phase & {
  closeMs: number;
  loopSeconds: number;
};
const lag = run.pandasLagMs;
console.log(
  [
    "\nlong run (fresh processes; targets <= 6x, <= 300 MB, flush <= 1 s, pandas <= 5 s):",
    line("fast phase, flush every 50k rows", run.fast),
    line("slow phase, 5,000 rows/s, flush every 100 ms", run.slow),
    lag === null
      ? "  pandas lag: no Debian pandas here"
      : `  pandas sees a flush's rows after: median ${lag.median} ms, max ${lag.max} ms over ${lag.flushes} flushes [${
        verdict(lag.max <= 5000)
      }]`,
    `  loop that never awaits: ${noAwait.rows} rows in ${
      noAwait.loopSeconds.toFixed(1)
    } s, peak RSS ${noAwait.peakRssMB.toFixed(0)} MB, close() ${
      noAwait.closeMs.toFixed(0)
    } ms, written ${noAwait.writeAmplification.toFixed(2)}x [${
      verdict(noAwait.peakRssMB <= 300)
    }]`,
  ].join("\n"),
);

Deno.bench({ name: "long_run (see the lines printed above)", fn() {} });

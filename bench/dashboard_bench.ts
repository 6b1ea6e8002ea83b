// `cox dashboard` as a user meets it: a fresh `deno run cli.ts dashboard`
// process on a 1,000-run x 1,000-row sweep, ours (plus a TensorBoard tag of
// 1,000 steps per run) and Python cox's (bench/cox_sweep.py: pandas
// HDFStore, values blocks, a PyTables index), and a fresh headless Chromium
// page opened once the URL is printed. Reported from the process's start,
// medians of fresh processes: listening, the runs table painted, the first
// charts painted, and every run drawn in every chart in view (the server
// listens once its first runs are read; the page fills in as the rest
// arrive). Then the server's answer for a 200-run chart of 10,000 points
// each, a live update after a run appended rows (a long poll answered once
// the watched store changed, then the new points), and the server's peak RSS.
// The machine is shared: the load average is printed with each figure.
// COX_DASHBOARD_BENCH_DIR=DIR keeps the sweeps in DIR for the next run;
// COX_DASHBOARD_BENCH_ROUNDS=N sets the fresh processes per sweep (3).

import { chromium } from "npm:playwright-core@1.65.1";
import { Store } from "../mod.ts";
import { writeSweep } from "../tests/dashboard/_sweep.ts";

const CHROMIUM = "/usr/lib/chromium/chromium-headless-shell";
const CLI = new URL("../cli.ts", import.meta.url).pathname;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function tempDir(prefix: string): string {
  try {
    return Deno.makeTempDirSync({ dir: "/dev/shm", prefix });
  } catch {
    return Deno.makeTempDirSync({ prefix });
  }
}

/** A dashboard server in a fresh process. */
interface Server {
  url: string;
  child: Deno.ChildProcess;
  /** When the process was spawned (ms since the epoch). */
  spawnedAt: number;
  /** From spawn to the URL printed (ms). */
  listening: number;
}

/** Milliseconds since the epoch, with sub-millisecond precision. */
const epochNow = () => performance.timeOrigin + performance.now();

/** Starts `cox dashboard DIR` in a fresh process; resolves with its URL once it prints it. */
async function serve(dir: string): Promise<Server> {
  const spawnedAt = epochNow();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "dashboard", dir, "--port", "0"],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/Serving .* at (\S+)/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`dashboard exited: ${text}`);
    text += value;
  }
  const url = /Serving .* at (\S+)/.exec(text)![1];
  // keep draining stderr
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  return { url, child, spawnedAt, listening: epochNow() - spawnedAt };
}

/** What a fresh page showed when, in ms from the server process's start. */
interface Paint {
  listening: number;
  table: number;
  charts: number;
  all: number;
  /** Server CPU seconds when every run was drawn. */
  cpu: number;
  runs: number;
  chartCount: number;
}

/**
 * Opens a fresh page on a server just started, as a user does once the URL
 * is printed, and waits until every run is drawn in every chart in view.
 * The page marks its times (`__cox`) in the frame after it drew.
 */
async function firstPaint(s: Server): Promise<Paint> {
  const context = await browser.newContext({
    viewport: { width: 1400, height: 1000 },
  });
  const page = await context.newPage();
  try {
    await page.goto(s.url);
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { __cox?: { loadedAt: number | null } })
          .__cox?.loadedAt != null,
      undefined,
      { timeout: 120_000, polling: 20 },
    );
    const cpu = cpuSeconds(s.child.pid);
    const t = await page.evaluate(() => {
      const c = (globalThis as unknown as {
        __cox: {
          firstTableAt: number;
          firstChartsAt: number;
          loadedAt: number;
          chartRuns(key: string): string[];
          visibleCharts(): string[];
        };
      }).__cox;
      const keys = c.visibleCharts();
      return {
        origin: performance.timeOrigin,
        table: c.firstTableAt,
        charts: c.firstChartsAt,
        all: c.loadedAt,
        runs: Math.min(...keys.map((k) => c.chartRuns(k).length)),
        chartCount: keys.length,
      };
    });
    const from = (v: number) => t.origin + v - s.spawnedAt;
    return {
      listening: s.listening,
      table: from(t.table),
      charts: from(t.charts),
      all: from(t.all),
      cpu,
      runs: t.runs,
      chartCount: t.chartCount,
    };
  } finally {
    await context.close();
  }
}

function loadAverage(): string {
  return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(
    " ",
  );
}

/** User + system CPU seconds of process `pid` so far. */
function cpuSeconds(pid: number): number {
  const f = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(
    " ",
  );
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** The server's own time for a response (its Server-Timing header), in ms. */
function serverMs(r: Response): number {
  return Number(/dur=([\d.]+)/.exec(r.headers.get("server-timing") ?? "")?.[1]);
}

function peakRssMb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

async function series(
  origin: string,
  key: string,
  ids: [string, number][],
): Promise<number> {
  const r = await fetch(`${origin}/api/series`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ key, x: "index", width: 800, runs: ids }),
  });
  return (await r.arrayBuffer()).byteLength;
}

console.log(
  "dashboard bench: writing the sweeps (1,000 x 1,000 rows; 200 x 10,000 rows)...",
);
const keep = Deno.env.get("COX_DASHBOARD_BENCH_DIR");
const exists = (p: string) => {
  try {
    return Deno.statSync(p).isDirectory;
  } catch {
    return false;
  }
};
const big = keep ? `${keep}/sweep_1000` : tempDir("cox_dash_bench_1000_");
const long = keep ? `${keep}/sweep_200` : tempDir("cox_dash_bench_200_");
const coxDir = keep ? `${keep}/cox_1000` : tempDir("cox_dash_bench_cox_");
const tGen = performance.now();
if (!exists(`${big}/run-0999`)) {
  await writeSweep(big, 1000, 1000, { tensorboard: true });
}
if (!exists(`${long}/run-0199`)) await writeSweep(long, 200, 10_000);
/** A 1,000-run sweep as Python cox writes it, or null without Python's pandas. */
async function coxSweep(): Promise<string | null> {
  if (exists(`${coxDir}/00000000-0000-0000-0000-0000000003e8`)) return coxDir;
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [
      new URL("cox_sweep.py", import.meta.url).pathname,
      "write",
      coxDir,
      "1000",
      "1000",
    ],
    stdout: "null",
    stderr: "piped",
  }).output().catch(() => null);
  if (out?.success) return coxDir;
  console.log(
    `  no Python cox sweep (bench/cox_sweep.py write failed): ${
      out === null
        ? "no /usr/bin/python3"
        : new TextDecoder().decode(out.stderr).trim().split("\n").at(-1)
    }`,
  );
  return null;
}
const cox = await coxSweep();
console.log(`  written in ${((performance.now() - tGen) / 1000).toFixed(1)} s`);

const results: string[] = [];
const browser = await chromium.launch({ executablePath: CHROMIUM });
let servers: Server[] = [];
const ROUNDS = Number(Deno.env.get("COX_DASHBOARD_BENCH_ROUNDS") ?? "3");
const ms = (v: number) => `${Math.round(v)} ms`;
try {
  const sweeps: [string, string][] = [[
    "ours, 1,000 runs x 1,000 rows + 1,000 scalars",
    big,
  ]];
  if (cox !== null) {
    sweeps.push(["Python cox (cox_sweep.py), 1,000 runs x 1,000 rows", cox]);
  }
  let rss = 0;
  for (const [label, dir] of sweeps) {
    const rounds: Paint[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const s = await serve(dir);
      const paint = await firstPaint(s);
      rounds.push(paint);
      rss = Math.max(rss, peakRssMb(s.child.pid));
      if (dir === big && r === ROUNDS - 1) servers.push(s);
      else {
        s.child.kill("SIGTERM");
        await s.child.status;
      }
    }
    const m = (f: (p: Paint) => number) => ms(median(rounds.map(f)));
    results.push(
      `${label}, from process start (median of ${ROUNDS} fresh processes, load average ${loadAverage()}):`,
      `  listening ${m((p) => p.listening)}, table painted ${
        m((p) => p.table)
      }, first charts painted ${m((p) => p.charts)}, every run drawn ${
        m((p) => p.all)
      } (target < 2 s)`,
      `  server CPU (user+sys) by every run drawn: ${
        median(rounds.map((p) => p.cpu)).toFixed(2)
      } s; runs drawn ${rounds[0].runs}, charts ${rounds[0].chartCount}`,
    );
  }
  // a live update: one run appends 10 rows while a long poll waits; the
  // poll's answer, then the tail of the series it fetches
  const s = servers[0];
  const origin = new URL(s.url).origin;
  let version = (await (await fetch(`${origin}/api/sweep`)).json()).version;
  const answered: number[] = [];
  const tailMs: number[] = [];
  using writer = await Store.open(big, "run-0007");
  const log = writer.table("log");
  for (let k = 0; k < 9; k++) {
    const poll = fetch(`${origin}/api/sweep?since=${version}&wait=10000`);
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 10; i++) {
      log.appendRow({ step: 1000 + k * 10 + i, loss: 0.1, acc: 0.9 });
    }
    writer.flush();
    const t0 = performance.now();
    const response = await poll;
    const a = await response.json();
    answered.push(performance.now() - t0);
    version = a.version;
    const run = a.runs.find((r: { id: string }) => r.id === "run-0007");
    if (run === undefined) throw new Error("the append was not seen");
    const tail = await fetch(`${origin}/api/series`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        key: "t:log/loss",
        x: "step",
        width: 800,
        runs: [["run-0007", 1000 + k * 10]],
      }),
    });
    await tail.arrayBuffer();
    tailMs.push(serverMs(tail));
  }
  results.push(
    `live update: append flushed -> long poll answered ${
      median(answered).toFixed(1)
    } ms, then the new rows' series ${
      median(tailMs).toFixed(1)
    } ms server time; medians of 9 (target < 50 ms)`,
  );
  rss = Math.max(rss, peakRssMb(s.child.pid));
  results.push(
    `server peak RSS (1,000-run sweeps, with the page and the live updates): ${
      rss.toFixed(0)
    } MB (target < 500 MB)`,
  );
  s.child.kill("SIGTERM");
  await s.child.status;
  servers = [];

  // the 200-run chart of 10,000 points each
  const s2 = await serve(long);
  servers.push(s2);
  const origin2 = new URL(s2.url).origin;
  const ids = Array.from(
    { length: 200 },
    (_, i) => [`run-${String(i).padStart(4, "0")}`, 0] as [string, number],
  );
  const times: number[] = [];
  let bytes = 0;
  for (let r = 0; r < 9; r++) {
    const t0 = performance.now();
    bytes = await series(origin2, "t:log/loss", ids);
    times.push(performance.now() - t0);
  }
  results.push(
    `200-run chart, 10,000 points each, 800 px: ${
      median(times).toFixed(1)
    } ms median of 9, ${(bytes / 1e6).toFixed(1)} MB (target < 200 ms)`,
  );
  results.push(
    `server peak RSS (200 x 10,000 rows): ${
      peakRssMb(s2.child.pid).toFixed(0)
    } MB`,
  );

  Deno.bench(
    "dashboard: POST /api/series, 200 runs x 10,000 points",
    async () => {
      await series(origin2, "t:log/loss", ids);
    },
  );
} finally {
  await browser.close();
  console.log(results.map((r) => `  ${r}`).join("\n"));
  globalThis.addEventListener("unload", () => {
    for (const s of servers) {
      try {
        s.child.kill("SIGTERM");
      } catch { /* gone */ }
    }
    if (!keep) {
      Deno.removeSync(big, { recursive: true });
      Deno.removeSync(long, { recursive: true });
      Deno.removeSync(coxDir, { recursive: true });
    }
  });
}

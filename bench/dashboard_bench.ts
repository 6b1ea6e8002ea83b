// `cox dashboard` on a 1,000-run x 1,000-row sweep (plus a TensorBoard tag
// of 1,000 steps per run), served by a fresh `deno run cli.ts dashboard`
// process: time to first paint of the table and the charts in headless
// Chromium (the server listens once its first runs are read; the page then
// fills in as the rest arrive, and "every run drawn" is when it holds them
// all), the server's answer for a 200-run chart of 10,000 points each, a live
// update after a run appended rows (a long poll answered once the watched
// store changed, then the new points), the server's CPU time and peak RSS.
// Figures are medians; the machine is shared, so run it a few times.
// COX_DASHBOARD_BENCH_DIR=DIR keeps the sweeps in DIR for the next run.

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

/** Starts `cox dashboard DIR` in a fresh process; resolves with its URL once it prints it. */
async function serve(
  dir: string,
): Promise<{ url: string; child: Deno.ChildProcess; startMs: number }> {
  const t0 = performance.now();
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
  return { url, child, startMs: performance.now() - t0 };
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
const tGen = performance.now();
if (!exists(`${big}/run-0999`)) {
  await writeSweep(big, 1000, 1000, { tensorboard: true });
}
if (!exists(`${long}/run-0199`)) await writeSweep(long, 200, 10_000);
console.log(`  written in ${((performance.now() - tGen) / 1000).toFixed(1)} s`);

const results: string[] = [];
const browser = await chromium.launch({ executablePath: CHROMIUM });
let servers: { url: string; child: Deno.ChildProcess; startMs: number }[] = [];
try {
  // first paint, each in a fresh server process and a fresh page
  const paints: {
    start: number;
    table: number;
    charts: number;
    all: number;
    cpu: number;
  }[] = [];
  let rss = 0;
  for (let r = 0; r < 3; r++) {
    const s = await serve(big);
    const page = await browser.newPage({
      viewport: { width: 1400, height: 1000 },
    });
    await page.goto(s.url);
    await page.waitForSelector("body[data-charts=drawn]", { timeout: 60_000 });
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { __cox: { loadedAt: number | null } }).__cox
          .loadedAt !== null,
      undefined,
      { timeout: 60_000, polling: 50 },
    );
    const t = await page.evaluate(() => {
      const c = (globalThis as unknown as {
        __cox: {
          firstTableAt: number;
          firstChartsAt: number;
          loadedAt: number;
        };
      }).__cox;
      return {
        table: c.firstTableAt,
        charts: c.firstChartsAt,
        all: c.loadedAt,
      };
    });
    paints.push({ start: s.startMs, ...t, cpu: cpuSeconds(s.child.pid) });
    await page.close();
    rss = Math.max(rss, peakRssMb(s.child.pid));
    if (r < 2) {
      s.child.kill("SIGTERM");
      await s.child.status;
    } else servers.push(s);
  }
  const fmt = (ms: number) => `${Math.round(ms)} ms`;
  results.push(
    `server listening (fresh process; it reads the 1,000 runs after): ${
      fmt(median(paints.map((p) => p.start)))
    }`,
    `first paint after navigation: table ${
      fmt(median(paints.map((p) => p.table)))
    }, charts ${fmt(median(paints.map((p) => p.charts)))} (target < 2 s)`,
    `server start + charts drawn: ${
      fmt(median(paints.map((p) => p.start + p.charts)))
    }`,
    `every run drawn after navigation: ${
      fmt(median(paints.map((p) => p.all)))
    }; server CPU (user+sys) by then: ${
      median(paints.map((p) => p.cpu)).toFixed(2)
    } s`,
  );

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
    `server peak RSS (1,000 x 1,000 rows + 1,000 x 1,000 scalars): ${
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
    }
  });
}

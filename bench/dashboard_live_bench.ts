// `cox dashboard` as a person meets it, on a sweep already on disk
// (COX_DASHBOARD_SWEEP=DIR, e.g. one written by `bench/cox_sweep.py write DIR
// 1000 1000` or by `writeSweep`; skipped without it): a fresh server process,
// time from its start to the charts drawn in headless Chromium, then a run
// appended by another process (Python cox's pandas HDFStore.append for a
// Python sweep, our Store otherwise) until the page holds the new rows.
// Medians of fresh processes; the machine is shared, so run it a few times.

import { chromium } from "npm:playwright-core@1.65.1";

const CHROMIUM = "/usr/lib/chromium/chromium-headless-shell";
const CLI = new URL("../cli.ts", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const dir = Deno.env.get("COX_DASHBOARD_SWEEP");

async function serve(): Promise<{ url: string; child: Deno.ChildProcess }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "dashboard", dir!, "--port", "0"],
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
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  return { url: /Serving .* at (\S+)/.exec(text)![1], child };
}

/** Appends `n` rows to table `log` of run `id` in another process. */
async function appendElsewhere(id: string, python: boolean, n: number) {
  const args = python
    ? [
      "/usr/bin/python3",
      "-c",
      `import sys, pandas as pd, numpy as np
with pd.HDFStore(sys.argv[1], mode="a") as s:
    k = s.get_storer("log").nrows
    steps = np.arange(k, k + ${n})
    s.append("log", pd.DataFrame({"step": steps, "loss": 0.5 + 0 * steps,
        "acc": 0.25 + 0 * steps, "phase": ["train"] * ${n}},
        index=steps), format="table")`,
      `${dir}/${id}/store.h5`,
    ]
    : [
      Deno.execPath(),
      "eval",
      `import { Store } from "${ROOT}mod.ts";
using s = await Store.open(${JSON.stringify(dir)}, ${JSON.stringify(id)});
const log = s.table("log");
for (let i = 0; i < ${n}; i++) log.appendRow({ step: log.nrows, loss: 0.5, acc: 0.25 });`,
    ];
  const out = await new Deno.Command(args[0], { args: args.slice(1) })
    .output();
  if (!out.success) {
    throw new Error(`append failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

type Page = Awaited<
  ReturnType<Awaited<ReturnType<typeof chromium.launch>>["newPage"]>
>;

function rowsShown(page: Page, id: string): Promise<number> {
  return page.evaluate((id) => {
    const cox = (globalThis as unknown as {
      __cox: { drawnSeries(k: string, id: string): { x: number[] } | null };
    }).__cox;
    return cox.drawnSeries("t:log/loss", id)?.x.length ?? -1;
  }, id);
}

if (dir === undefined) {
  console.log("dashboard live bench: set COX_DASHBOARD_SWEEP=DIR to run it");
} else {
  const ids = [...Deno.readDirSync(dir)].filter((e) => e.isDirectory)
    .map((e) => e.name).sort();
  // Python cox names runs by uuid, our generated sweeps run-NNNN
  const python = !ids[0].startsWith("run-");
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  const results: string[] = [];
  const shot = `${Deno.makeTempDirSync()}/dashboard-live-bench.png`;
  try {
    const starts: number[] = [];
    const paints: number[] = [];
    const lives: number[] = [];
    const loads: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      const s = await serve();
      const listening = performance.now() - t0;
      const page = await browser.newPage({
        viewport: { width: 1400, height: 1000 },
      });
      await page.goto(s.url);
      await page.waitForSelector("body[data-charts=drawn]", {
        timeout: 120_000,
      });
      paints.push(performance.now() - t0);
      starts.push(listening);
      // the server listens before it has read every run: appends are timed
      // once the page holds them all
      await page.waitForFunction(
        () =>
          (globalThis as unknown as { __cox: { loadedAt: number | null } })
            .__cox.loadedAt !== null,
        undefined,
        { timeout: 120_000, polling: 50 },
      );
      loads.push(performance.now() - t0);
      if (r === 2) {
        await page.screenshot({ path: shot });
      }
      // the first chart draws the first runs: the live run is one of them
      const id = ids[0];
      for (let k = 0; k < 3; k++) {
        const before = await rowsShown(page, id);
        await appendElsewhere(id, python, 10);
        const written = performance.now();
        await page.waitForFunction(
          ([id, n]) =>
            ((globalThis as unknown as {
              __cox: {
                drawnSeries(k: string, id: string): { x: number[] } | null;
              };
            }).__cox.drawnSeries("t:log/loss", id as string)?.x.length ?? 0) >=
              (n as number),
          [id, before + 10],
          { timeout: 30_000, polling: 20 },
        ).catch(async (e) => {
          const now = await rowsShown(page, id);
          throw new Error(
            `round ${r}, append ${k}: ${now} points shown, expected ${
              before + 10
            }: ${e.message}`,
          );
        });
        lives.push(performance.now() - written);
      }
      await page.close();
      s.child.kill("SIGTERM");
      await s.child.status;
    }
    results.push(
      `screenshot: ${shot}`,
      `${ids.length} runs (${
        python ? "Python cox" : "ours"
      }), fresh server process each time:`,
      `  listening after ${Math.round(median(starts))} ms, charts drawn ${
        Math.round(median(paints))
      } ms after the process started, every run drawn ${
        Math.round(median(loads))
      } ms (median of 3)`,
      `  append of 10 rows in another process -> shown in the page: ${
        Math.round(median(lives))
      } ms median of ${lives.length} (a long poll, answered once the watched store changed)`,
    );
  } finally {
    await browser.close();
    console.log(results.join("\n"));
  }
}

/// <reference lib="dom" />
// The dashboard page in a real Chromium (Debian's chromium-headless-shell,
// driven by playwright-core): the runs table, filters, selection, smoothing,
// live updates, brushing, the one-run view; no request leaves the origin, no
// console error, and a screenshot of each view.
//
// Without the browser the test is skipped, unless COX_INTEROP=1 (CI), where
// it fails.

import { join } from "node:path";
import { type Browser, chromium, type Page } from "npm:playwright-core@1.65.1";
import { startDashboard } from "../../src/dashboard/server.ts";
import { planTensorboard } from "../../src/cli/tensorboard.ts";
import { Store } from "../../mod.ts";
import { setWarningSink } from "../../src/warn.ts";
import { FIXTURES } from "../fixtures.ts";
import { assert, assertEquals } from "../tensorboard/_util.ts";
import { lossAt, runParams, writeSweep } from "./_sweep.ts";

const CHROMIUM = "/usr/lib/chromium/chromium-headless-shell";
const haveBrowser = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();
const required = Deno.env.get("COX_INTEROP") === "1";
if (!haveBrowser && required) {
  throw new Error(
    `${CHROMIUM} is missing: install Debian's chromium-headless-shell (COX_INTEROP=1 requires it)`,
  );
}

/** Where the screenshots go (printed at the end). */
const SHOTS = Deno.env.get("COX_DASHBOARD_SCREENSHOTS") ??
  join(Deno.env.get("TMPDIR") ?? "/tmp", "cox-dashboard-screenshots");

/** A temporary folder, on a tmpfs when there is one (writing 1,000 runs is then quick). */
function tempDir(prefix: string): string {
  try {
    return Deno.makeTempDirSync({ dir: "/dev/shm", prefix });
  } catch {
    return Deno.makeTempDirSync({ prefix });
  }
}

/** TensorBoard's smoothing, written out here from its definition (independent of the page's code). */
function tensorboardSmoothing(values: number[], weight: number): number[] {
  const constant = values.every((v) => v === values[0]);
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (constant || !Number.isFinite(v)) return v;
    last = last * weight + (1 - weight) * v;
    n++;
    return last / (1 - weight ** n);
  });
}

interface Watch {
  outside: string[];
  errors: string[];
}

async function openPage(
  browser: Browser,
  url: string,
): Promise<{ page: Page; watch: Watch }> {
  const page = await browser.newPage({
    viewport: { width: 1400, height: 1000 },
  });
  const origin = new URL(url).origin;
  const watch: Watch = { outside: [], errors: [] };
  page.on("request", (r) => {
    const u = r.url();
    if (
      !u.startsWith(`${origin}/`) && !u.startsWith("data:") &&
      !u.startsWith("blob:")
    ) {
      watch.outside.push(u);
    }
  });
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") {
      watch.errors.push(`${m.type()}: ${m.text()}`);
    }
  });
  page.on("pageerror", (e) => watch.errors.push(`pageerror: ${e.message}`));
  await page.goto(url);
  await page.waitForSelector("body[data-table=drawn]", { timeout: 20_000 });
  await page.waitForSelector("body[data-charts=drawn]", { timeout: 20_000 });
  return { page, watch };
}

function tableRows(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    (globalThis as unknown as { __cox: { tableRows: string[] } }).__cox
      .tableRows
  );
}

/** The text of the table's cells in column `label` for each row in view, by run id. */
function columnCells(
  page: Page,
  label: string,
): Promise<Record<string, string>> {
  return page.evaluate((label) => {
    const heads = [...document.querySelectorAll(".vt-head .vt-cell")];
    const at = heads.findIndex((h) => h.textContent === label);
    const out: Record<string, string> = {};
    for (const row of document.querySelectorAll(".vt-window .vt-row")) {
      const id = (row as HTMLElement).dataset.id!;
      out[id] = row.children[at]?.textContent ?? "";
    }
    return out;
  }, label);
}

async function shot(page: Page, name: string): Promise<void> {
  Deno.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

function checkClean(watch: Watch): void {
  assertEquals(watch.outside, [], "requests outside the page's origin");
  assertEquals(watch.errors, [], "console errors");
}

Deno.test({
  name:
    "dashboard in Chromium: table, filters, selection, smoothing, live updates, brushing, one-run view",
  ignore: !haveBrowser,
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  const restore = setWarningSink(() => {});
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  try {
    await t.step(
      "walkthrough2 (Python cox): names, values, filter, selection, smoothing",
      async () => {
        const dir = join(FIXTURES, "walkthrough2");
        const fmt = "slope-{slope}";
        const d = await startDashboard({
          dir,
          port: 0,
          formatStr: fmt,
          filters: [],
        });
        await d.sweep.loaded; // every run read
        try {
          const { page, watch } = await openPage(browser, d.url);
          const plan = await planTensorboard({
            logdir: dir,
            formatStr: fmt,
            filters: [],
            metadataTable: "metadata",
            port: 6006,
          });
          assertEquals(
            (await tableRows(page)).sort(),
            plan.runs.map((r) => r.expId).sort(),
          );
          const names = await columnCells(page, "run");
          for (const r of plan.runs) assertEquals(names[r.expId], r.name);
          // values: the last row of line_graphs of each run, as pandas reads it
          const expected = JSON.parse(
            Deno.readTextFileSync(
              join(FIXTURES, "expected", "walkthrough2.json"),
            ),
          );
          const lastMx: Record<string, number> = {};
          for (const row of expected.tables.line_graphs.rows) {
            lastMx[row.exp_id] = row.mx;
          }
          const slope: Record<string, number> = {};
          for (const row of expected.tables.metadata.rows) {
            slope[row.exp_id] = row.slope;
          }
          const mxLast = await columnCells(page, "mx last");
          const slopes = await columnCells(page, "slope");
          for (const id of Object.keys(lastMx)) {
            assertEquals(Number(mxLast[id]), lastMx[id]);
            assertEquals(Number(slopes[id]), slope[id]);
          }
          await shot(page, "runs-walkthrough2");

          // a typed filter narrows the table
          await page.fill("#filter", "slope >= 3");
          await page.waitForFunction(() =>
            (globalThis as unknown as { __cox: { tableRows: string[] } }).__cox
              .tableRows.length === 2
          );
          const kept = await tableRows(page);
          assertEquals(
            kept.sort(),
            Object.keys(slope).filter((id) => slope[id] >= 3).sort(),
          );
          await page.fill("#filter", 'slope > "x"');
          assert(
            (await page.textContent("#filter-error"))!.includes(
              "number column",
            ),
          );
          await page.fill("#filter", "");

          // selecting runs changes the chart's series
          const key = "s:line_graphs/mx";
          const charted = () =>
            page.evaluate(
              (key) =>
                (globalThis as unknown as {
                  __cox: { chartRuns(k: string): string[] };
                }).__cox.chartRuns(key),
              key,
            );
          await page.waitForFunction(
            (key) =>
              (globalThis as unknown as {
                __cox: { chartRuns(k: string): string[] };
              }).__cox.chartRuns(key).length === 5,
            key,
          );
          const one = plan.runs[1].expId;
          await page.check(`.vt-window input[data-id="${one}"]`);
          await page.waitForFunction(([key, one]) => {
            const runs = (globalThis as unknown as {
              __cox: { chartRuns(k: string): string[] };
            }).__cox.chartRuns(key);
            return runs.length === 1 && runs[0] === one;
          }, [key, one]);
          assertEquals(await charted(), [one]);
          await shot(page, "runs-selected");

          // the smoothed values drawn are TensorBoard's, for the scalars TensorBoard reads
          const tb = JSON.parse(
            Deno.readTextFileSync(
              join(
                FIXTURES,
                "expected",
                "tensorboard",
                "walkthrough2",
                `${one}.json`,
              ),
            ),
          );
          const scalars: [number, number, number][] =
            tb.scalars["line_graphs/mx"];
          const drawn = await page.evaluate(
            ([key, one]) =>
              (globalThis as unknown as {
                __cox: {
                  drawnSeries(
                    k: string,
                    id: string,
                  ): { x: number[]; raw: number[]; smoothed: number[] };
                };
              }).__cox.drawnSeries(key, one),
            [key, one],
          );
          assertEquals(drawn.x, scalars.map((s) => s[0]));
          assertEquals(drawn.raw, scalars.map((s) => s[1]));
          const want = tensorboardSmoothing(scalars.map((s) => s[1]), 0.6);
          drawn.smoothed.forEach((v, i) =>
            assert(
              Math.abs(v - want[i]) <= 1e-9 * Math.max(1, Math.abs(want[i])),
              `point ${i}: ${v} != ${want[i]}`,
            )
          );
          // another weight, set on the page's slider
          await page.fill("#weight", "0.9");
          await page.waitForFunction(([key, one]) => {
            const s = (globalThis as unknown as {
              __cox: {
                drawnSeries(k: string, id: string): { smoothed: number[] };
              };
            }).__cox.drawnSeries(key, one);
            return s !== null && Math.abs(s.smoothed[1] - s.smoothed[0]) > 0 &&
              (globalThis as unknown as {
                  __cox: { state: { smoothing: { weight: number } } };
                }).__cox.state.smoothing.weight === 0.9;
          }, [key, one]);
          await page.waitForTimeout(100);
          const drawn9 = await page.evaluate(
            ([key, one]) =>
              (globalThis as unknown as {
                __cox: {
                  drawnSeries(k: string, id: string): { smoothed: number[] };
                };
              }).__cox.drawnSeries(key, one),
            [key, one],
          );
          const want9 = tensorboardSmoothing(scalars.map((s) => s[1]), 0.9);
          drawn9.smoothed.forEach((v, i) =>
            assert(
              Math.abs(v - want9[i]) <= 1e-9 * Math.max(1, Math.abs(want9[i])),
              `w=0.9 point ${i}`,
            )
          );

          // grouping draws a band per group
          await page.uncheck(`.vt-window input[data-id="${one}"]`);
          await page.selectOption("#group-by", "slope");
          await page.waitForTimeout(300);
          await shot(page, "runs-grouped");
          checkClean(watch);
          await page.close();
        } finally {
          await d.shutdown();
        }
      },
    );

    await t.step(
      "live: a run that appends while the page is open shows the new points within 2 s",
      async () => {
        const dir = tempDir("cox_dash_live_");
        try {
          await writeSweep(dir, 3, 10, { tensorboard: true });
          using store = await Store.open(dir, "run-0001");
          const log = store.table("log");
          const d = await startDashboard({ dir, port: 0, filters: [] });
          await d.sweep.loaded; // every run read
          try {
            const { page, watch } = await openPage(browser, d.url);
            const total = (key: string) =>
              page.evaluate(
                (key) =>
                  (globalThis as unknown as {
                    __cox: {
                      drawnSeries(
                        k: string,
                        id: string,
                      ): { x: number[] } | null;
                    };
                  }).__cox.drawnSeries(key, "run-0001")?.x.length ?? 0,
                key,
              );
            await page.waitForFunction(() =>
              (globalThis as unknown as {
                __cox: { drawnSeries(k: string, id: string): unknown };
              }).__cox.drawnSeries("t:log/loss", "run-0001") !== null
            );
            assertEquals(await total("t:log/loss"), 10);
            const requests: string[] = [];
            page.on(
              "request",
              (r) =>
                requests.push(
                  `${r.method()} ${new URL(r.url()).pathname} ${
                    r.postData() ?? ""
                  }`,
                ),
            );
            for (let s = 10; s < 15; s++) {
              log.appendRow({ step: s, loss: lossAt(1, s), acc: 0 });
              store.tensorboard.addScalar("train/loss", lossAt(1, s), s);
            }
            store.flush();
            store.tensorboard.flush();
            const t0 = performance.now();
            await page.waitForFunction(
              () => {
                const c = (globalThis as unknown as {
                  __cox: {
                    drawnSeries(
                      k: string,
                      id: string,
                    ): { x: number[] } | null;
                  };
                }).__cox;
                return c.drawnSeries("t:log/loss", "run-0001")?.x.length ===
                    15 &&
                  c.drawnSeries("s:train/loss", "run-0001")?.x.length === 15;
              },
              undefined,
              { timeout: 2000 },
            );
            const took = performance.now() - t0;
            assert(took < 2000, `new points after ${took} ms`);
            const drawn = await page.evaluate(() =>
              (globalThis as unknown as {
                __cox: {
                  drawnSeries(k: string, id: string): { raw: number[] };
                };
              }).__cox.drawnSeries("t:log/loss", "run-0001")
            );
            assertEquals(
              drawn.raw.slice(10),
              [10, 11, 12, 13, 14].map((s) => lossAt(1, s)),
            );
            // only what was added was asked for: each series from the point count held
            const series = requests.filter((r) =>
              r.startsWith("POST /api/series")
            );
            assert(series.length > 0);
            for (const r of series) {
              // every chart in view synced in one request
              const body = JSON.parse(r.slice(r.indexOf("{")));
              for (const part of body.batch) {
                for (const [id, from] of part.runs) {
                  assert(id === "run-0001" && from === 10, r);
                }
              }
            }
            // a new run appears
            {
              using extra = await Store.open(dir, "run-new");
              extra.addTable("metadata", {
                lr: "float",
                opt: "str",
                seed: "int",
              }).appendRow({ lr: 0.5, opt: "new", seed: 99 });
            }
            await page.waitForFunction(
              () =>
                (globalThis as unknown as { __cox: { tableRows: string[] } })
                  .__cox.tableRows.includes("run-new"),
              undefined,
              { timeout: 3000 },
            );
            checkClean(watch);
            await page.close();
          } finally {
            await d.shutdown();
          }
        } finally {
          Deno.removeSync(dir, { recursive: true });
        }
      },
    );

    await t.step(
      "1,000 runs: one row per run with its values, brushing filters the table, compare views",
      async () => {
        const dir = tempDir("cox_dash_1000_");
        try {
          await writeSweep(dir, 1000, 5);
          // text from a run is shown as text
          {
            using evil = await Store.open(dir, "zz-<b>bold<b>");
            evil.addTable("metadata", { lr: "float", opt: "str", seed: "int" })
              .appendRow({
                lr: 0.5,
                opt: "<img src=x onerror=\"document.body.dataset.pwned='1'\">",
                seed: -1,
              });
          }
          const d = await startDashboard({ dir, port: 0, filters: [] });
          try {
            await d.sweep.loaded; // the server listens before every run is read
            const { page, watch } = await openPage(browser, d.url);
            const rows = await tableRows(page);
            assertEquals(rows.length, 1001);
            assertEquals(new Set(rows).size, 1001);
            assertEquals(
              (await page.textContent("#count"))!.trim(),
              "1001 of 1001 runs",
            );
            // the rows in view carry their own values
            const lr = await columnCells(page, "lr");
            const opt = await columnCells(page, "opt");
            const last = await columnCells(page, "loss last");
            assert(
              Object.keys(lr).length >= 10 && Object.keys(lr).length < 100,
              "rows are virtualized",
            );
            for (
              const id of Object.keys(lr).filter((x) => x.startsWith("run-"))
            ) {
              const i = Number(id.slice(4));
              assertEquals(Number(lr[id]), runParams(i).lr);
              assertEquals(opt[id], runParams(i).opt);
              assert(
                Math.abs(Number(last[id]) - lossAt(i, 4)) <
                  1e-5 * lossAt(i, 4) + 1e-9,
              );
            }
            // scrolled to the end: the last rows are there
            await page.evaluate(() =>
              document.querySelector(".vt-body")!.scrollTo(0, 1e9)
            );
            await page.waitForTimeout(100);
            const end = await columnCells(page, "seed");
            assert("run-0999" in end && end["run-0999"] === "999");
            // hostile text is text
            assertEquals(
              await page.evaluate(() => document.body.dataset.pwned ?? null),
              null,
            );
            assertEquals(
              await page.evaluate(() =>
                document.querySelectorAll("main img, main b").length
              ),
              0,
            );
            assert(
              Object.values(await columnCells(page, "opt")).some((v) =>
                v.startsWith("<img src=x")
              ),
            );
            // a filter on a typed expression
            await page.fill("#filter", 'lr < 1e-3 and opt == "adam"');
            await page.waitForFunction(() =>
              (globalThis as unknown as { __cox: { tableRows: string[] } })
                .__cox.tableRows.length < 1001
            );
            const want = [...Array(1000).keys()].filter((i) =>
              runParams(i).lr < 1e-3 && runParams(i).opt === "adam"
            ).map((i) => `run-${String(i).padStart(4, "0")}`);
            assertEquals((await tableRows(page)).sort(), want);
            await page.fill("#filter", "");
            await page.evaluate(() =>
              document.querySelector(".vt-body")!.scrollTo(0, 0)
            );
            await shot(page, "runs-1000");

            // parallel coordinates: brush the top of the seed axis
            await page.click("#tab-compare");
            await page.waitForTimeout(200);
            await shot(page, "compare-1000");
            const box = (await page.locator("#parcoords").boundingBox())!;
            const axes = await page.evaluate(() =>
              (globalThis as unknown as {
                __cox: { state: { columns: { name: string }[] } };
              }).__cox.state.columns.map((c) => c.name)
            );
            const seedAxis = axes.indexOf("seed");
            const n = axes.length + 1;
            const x = box.x + 90 + seedAxis * ((box.width - 180) / (n - 1));
            const top = box.y + 30;
            const plotH = box.height - 30 - 22;
            // from the top of the axis to 10% below: seeds in the top 10% of [-1, 999]
            await page.mouse.move(x, top + 1);
            await page.mouse.down();
            await page.mouse.move(x, top + plotH * 0.1, { steps: 5 });
            await page.mouse.up();
            await page.waitForFunction(() =>
              (globalThis as unknown as { __cox: { tableRows: string[] } })
                .__cox.tableRows.length < 1001
            );
            const brushed = await tableRows(page);
            assert(
              brushed.length > 50 && brushed.length < 150,
              `${brushed.length} runs brushed`,
            );
            for (const id of brushed) {
              assert(id.startsWith("run-") && Number(id.slice(4)) >= 880, id);
            }
            await shot(page, "compare-brushed");
            await page.click("#tab-runs");
            assertEquals(
              (await page.textContent("#count"))!.trim(),
              `${brushed.length} of 1001 runs`,
            );
            checkClean(watch);
            await page.close();
          } finally {
            await d.shutdown();
          }
        } finally {
          Deno.removeSync(dir, { recursive: true });
        }
      },
    );

    await t.step(
      "one run (Python cox's all-types): tables as cox show prints them, text, image, histogram",
      async () => {
        const d = await startDashboard({
          dir: join(FIXTURES, "types"),
          port: 0,
          filters: [],
        });
        await d.sweep.loaded; // every run read
        try {
          const { page, watch } = await openPage(browser, d.url);
          await page.click(".run-link");
          await page.waitForSelector(".text-summary", { timeout: 10_000 });
          await page.waitForSelector("canvas.hist");
          await page.waitForFunction(() =>
            [...document.querySelectorAll(".images img")].every((i) =>
              (i as HTMLImageElement).complete &&
              (i as HTMLImageElement).naturalWidth > 0
            )
          );
          const headings = await page.$$eval(
            "#run-view h3",
            (hs) => hs.map((h) => h.textContent),
          );
          assert(
            headings.includes("-- Table: kinds --") &&
              headings.includes("-- Table: like --"),
            String(headings),
          );
          const frame = await page.textContent("pre.frame");
          assert(frame!.includes("nesterov") || frame!.includes("f"), frame!);
          assert((await page.$$(".images img")).length >= 1);
          await page.waitForTimeout(200);
          await shot(page, "run-all-types");
          checkClean(watch);
          await page.close();
        } finally {
          await d.shutdown();
        }
      },
    );
  } finally {
    await browser.close();
    setWarningSink(restore);
    console.log(`dashboard screenshots: ${SHOTS}`);
  }
});

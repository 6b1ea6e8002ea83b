// Mutated store.h5 files (fixtures and stores we write) through Store.open,
// table.rows() and CollectionReader.df(), in subprocesses with a time limit.
import { fail, ok } from "node:assert/strict";
import type { CaseResult } from "./_h5_worker.ts";

const SEED = Number(Deno.env.get("COX_FUZZ_SEED") ?? 20250614);
const BATCHES = 6;
const CASES = 200;
const BATCH_MS = 25_000;
const WORKER = new URL("./_h5_worker.ts", import.meta.url).pathname;

interface BatchReport {
  results: CaseResult[];
  after?: { after: string; afterWritten: string; detail?: string };
  hung?: { index: number; mutation: string };
  exit: number;
  stderr: string;
}

async function runBatch(first: number): Promise<BatchReport> {
  const tmp = await Deno.makeTempDir({ prefix: "cox-h5-fuzz-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      WORKER,
      String(SEED),
      String(first),
      String(CASES),
      String(BATCH_MS - 5_000),
      tmp,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, BATCH_MS);
  const out = await child.output();
  clearTimeout(timer);
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  const report: BatchReport = {
    results: [],
    exit: out.code,
    stderr: new TextDecoder().decode(out.stderr).slice(-2000),
  };
  let started: { start: number; mutation: string } | undefined;
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    if (!line) continue;
    const item = JSON.parse(line);
    if ("start" in item) started = item;
    else if ("after" in item) report.after = item;
    else {
      report.results.push(item);
      started = undefined;
    }
  }
  if (out.signal !== null && started) {
    report.hung = { index: started.start, mutation: started.mutation };
  }
  return report;
}

Deno.test("fuzz: mutated stores read, or are refused with our errors, and never hang", async () => {
  const t0 = performance.now();
  const reports: BatchReport[] = [];
  for (let b = 0; b < BATCHES; b += 2) {
    reports.push(
      ...await Promise.all([runBatch(b * CASES), runBatch((b + 1) * CASES)]),
    );
  }
  const where = `(seed ${SEED}; rerun one case with ` +
    `deno run -A tests/fuzz/_h5_worker.ts ${SEED} <index> 1 10000 <tmp-dir>)`;
  const counts = { read: 0, refused: 0, bad: 0 };
  const bad: CaseResult[] = [];
  for (const report of reports) {
    if (report.hung) {
      fail(
        `case ${report.hung.index} (${report.hung.mutation}) did not finish within ${BATCH_MS} ms ${where}`,
      );
    }
    ok(
      report.exit === 0 && report.after !== undefined,
      `a batch died (exit ${report.exit}) ${where}: ${report.stderr}`,
    );
    for (const r of report.results) {
      counts[r.outcome]++;
      if (r.outcome === "bad") bad.push(r);
    }
    ok(
      report.after!.after === "read" && report.after!.afterWritten === "read",
      `good stores no longer read after the hostile ones ${where}: ${
        report.after!.detail
      }`,
    );
  }
  if (bad.length > 0) {
    fail(
      `${bad.length} inputs escaped our errors ${where}:\n` +
        bad.slice(0, 5).map((r) =>
          `case ${r.index} ${r.source} ${r.mutation}: ${r.detail}`
        ).join("\n"),
    );
  }
  const total = counts.read + counts.refused;
  ok(total >= BATCHES * CASES / 2, `only ${total} cases ran ${where}`);
  ok(counts.read > 0 && counts.refused > 0, JSON.stringify(counts));
  console.log(
    `h5 fuzz: ${JSON.stringify(counts)} in ${
      Math.round(performance.now() - t0)
    } ms (seed ${SEED})`,
  );
});

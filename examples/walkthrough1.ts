/**
 * cox's Walkthrough 1 (examples/logging_example.py): a sweep of a quadratic
 * minimiser over initial x, step size and tolerance, one run per setting,
 * then every run read back with CollectionReader.
 *
 *     deno run -A examples/walkthrough1.ts [OUT_DIR]
 *
 * Without OUT_DIR, the runs go to a fresh temporary folder.
 *
 * @module
 */

import { CollectionReader, Store } from "../mod.ts";

/** numpy's linspace: `num` evenly spaced numbers from `start` to `stop`. */
function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  const out = Array.from({ length: num }, (_, i) => i * step + start);
  out[num - 1] = stop;
  return out;
}

function f(x: number): number {
  return (x - 2.03) ** 2 + 3;
}

const outDir = Deno.args[0] ??
  await Deno.makeTempDir({ prefix: "cox-walkthrough1-" });
console.log(`Logging to ${outDir}`);

// Three parameters: initial guess for x, step size, tolerance
for (const initialX of linspace(-15, 15, 3)) {
  for (const step of linspace(1, 1e-5, 3)) {
    for (const tol of [1e-5]) {
      let x = initialX;
      // a new run, named by a fresh uuid, in outDir
      using store = await Store.open(outDir);
      store.addTable("metadata", {
        step_size: "float",
        tolerance: "float",
        initial_x: "float",
        out_dir: "str",
      });
      store.addTable("result", { final_x: "float", final_opt: "float" });
      store.addTable("running_log", { current_x: "float", current_f: "float" });

      store.table("metadata").appendRow({
        step_size: step,
        tolerance: tol,
        initial_x: x,
        out_dir: "/tmp/",
      });

      for (let i = 0; i < 1000; i++) {
        // Log current x and f(x)
        store.table("running_log").appendRow({ current_x: x, current_f: f(x) });

        // Take a uniform step in the direction of decrease
        if (f(x + step) < f(x - step)) x += step;
        else x -= step;

        // If the difference between the directions is less than the tolerance, stop
        if (f(x + step) - f(x - step) < tol) break;
      }

      // the working row is filled in two steps, then written
      store.table("result").updateRow({ final_x: x });
      store.table("result").updateRow({ final_opt: f(x) });
      store.table("result").flushRow();

      console.log("Done", x, f(x));
    } // `using`: the store is closed here, its rows on disk
  }
}

// Collection reading: every run's `result` table in one Arquero table
using reader = await CollectionReader.open(outDir, { progress: false });
const df = reader.df("result");
df.print();

// Running log collection as well
const runningLog = reader.df("running_log");
console.log(
  `running_log: ${runningLog.numRows()} rows over ${reader.stores.size} runs`,
);

// Filter by experiments that have step_size less than 1.0
const metadata = reader.df("metadata");
type Row = Record<string, unknown>;
const rows = (frame: typeof df) => frame.objects() as Row[];
const small = new Set(
  rows(metadata).filter((r) => (r.step_size as number) < 1).map((r) =>
    r.exp_id
  ),
);
const filtered = rows(df).filter((r) => small.has(r.exp_id));
console.log(`runs with step_size < 1: ${filtered.length}`);

// The experiment with the lowest final_opt, and its metadata
const best = rows(df).reduce((a, b) =>
  (b.final_opt as number) < (a.final_opt as number) ? b : a
);
const bestMetadata = rows(metadata).find((r) => r.exp_id === best.exp_id)!;
console.log(
  `best: final_opt ${best.final_opt} at final_x ${best.final_x}, ` +
    `from initial_x ${bestMetadata.initial_x} with step_size ${bestMetadata.step_size} (run ${best.exp_id})`,
);

// One run read back on its own, as `Store(OUT_DIR, EXP_ID)` in cox
using one = await Store.open(outDir, best.exp_id as string, { mode: "r" });
console.log(`run ${one.expId} on its own:\n${one.table("result")}`);

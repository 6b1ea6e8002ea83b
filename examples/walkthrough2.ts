/**
 * cox's Walkthrough 2 (examples/tb_example.py): five runs, one per slope,
 * each logging the lines y = slope·x and y = slope·x² to a table and to
 * TensorBoard at once with `logTableAndTb`; then every run opened in one
 * TensorBoard, named by its slope and keeping slopes 1 to 3, with
 * `cli.ts tensorboard` (cox's `python -m cox.tensorboard_view`).
 *
 *     deno run -A examples/walkthrough2.ts [OUT_DIR] [--dry-run]
 *
 * Without OUT_DIR, the runs go to a fresh temporary folder. With --dry-run,
 * the tensorboard command is printed rather than run.
 *
 * @module
 */

import { CollectionReader, Store } from "../mod.ts";
import { main } from "../cli.ts";

const dryRun = Deno.args.includes("--dry-run");
const outDir = Deno.args.find((a) => a !== "--dry-run") ??
  await Deno.makeTempDir({ prefix: "cox-walkthrough2-" });
console.log(`Logging to ${outDir}`);

for (let slope = 0; slope < 5; slope++) {
  using store = await Store.open(outDir);
  store.addTable("metadata", { slope: "int" });
  store.addTable("line_graphs", { mx: "int", "mx^2": "int" });
  store.table("metadata").appendRow({ slope });

  for (let x = 0; x < 100; x++) {
    // a row of the line_graphs table, and the scalars line_graphs/mx and
    // line_graphs/mx^2 (written as line_graphs/mx_2, as tensorboardX does)
    // at step = the row's number
    store.logTableAndTb("line_graphs", {
      mx: slope * x,
      "mx^2": slope * x ** 2,
    });
    store.table("line_graphs").flushRow();
  }
}

// Collection reading
console.log("Done experiments, printing results...");
{
  using reader = await CollectionReader.open(outDir, { progress: false });
  const df = reader.df("line_graphs");
  console.log(
    `line_graphs: ${df.numRows()} rows over ${reader.stores.size} runs; last rows:`,
  );
  df.slice(-3).print();
}

console.log("Starting tensorboard:");
const status = await main([
  "tensorboard",
  "--logdir",
  outDir,
  "--format-str",
  "slope-{slope}",
  "--filter-param",
  "slope",
  "[1-3]",
  "--metadata-table",
  "metadata",
  ...(dryRun ? ["--dry-run"] : []),
]);
Deno.exit(status);

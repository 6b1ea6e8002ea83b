// CollectionReader.open + df() over 200 runs of 1,000 rows, as in the
// original cox's benchmark (about 2.3 s there).
import { CollectionReader, Store } from "../mod.ts";

const RUNS = 200;
const ROWS = 1000;

async function makeSweep(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "cox-bench-sweep-" });
  for (let r = 0; r < RUNS; r++) {
    using store = await Store.open(dir, `run-${String(r).padStart(3, "0")}`);
    store.addTable("metadata", { lr: "float", name: "str" }).appendRow({
      lr: r / 1000,
      name: `run ${r}`,
    });
    const log = store.addTable("log", {
      step: "int",
      loss: "float",
      acc: "float",
    });
    for (let i = 0; i < ROWS; i++) {
      log.appendRow({ step: i, loss: 1 / (i + 1), acc: i / ROWS });
    }
  }
  return dir;
}

const dir = await makeSweep();

async function readSweep(): Promise<number> {
  using reader = await CollectionReader.open(dir, { progress: false });
  return reader.df("log").numRows();
}

Deno.bench({
  name: `CollectionReader.open + df() over ${RUNS} runs x ${ROWS} rows`,
  n: 10,
  warmup: 2,
  async fn() {
    const n = await readSweep();
    if (n !== RUNS * ROWS) throw new Error(`read ${n} rows`);
  },
});

const times: number[] = [];
for (let i = 0; i < 7; i++) {
  const t0 = performance.now();
  await readSweep();
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const median = times[3];
console.log(
  `\nreader: open + df over ${RUNS} runs x ${ROWS} rows: median ${
    median.toFixed(0)
  } ms ` +
    `(${
      ((RUNS * ROWS) / median * 1000).toFixed(0)
    } rows/s; cox takes about 2300 ms)`,
);

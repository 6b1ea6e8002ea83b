// Logging and reading back rows of { loss, acc, epoch, tag }: rows/s including
// the writes to store.h5, against cox's own way (one pandas HDFStore.append
// per row) measured in the same run when Debian's pandas is there.
import { Store } from "../mod.ts";
import { findPython } from "../tests/interop/python.ts";

const ROWS = 200_000;
const SCHEMA = {
  loss: "float",
  acc: "float",
  epoch: "int",
  tag: "str",
} as const;

async function logRows(n: number): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "cox-bench-" });
  const store = await Store.open(dir, "run");
  const t = store.addTable("log", SCHEMA);
  for (let i = 0; i < n; i++) {
    t.appendRow({
      loss: 1 / (i + 1),
      acc: i / n,
      epoch: i >> 10,
      tag: i % 2 ? "train" : "valid",
    });
  }
  store.close();
  return dir;
}

async function readRows(dir: string): Promise<number> {
  using store = await Store.open(dir, "run", { mode: "r" });
  return store.table("log").rows().length;
}

Deno.bench({
  name: `appendRow ${ROWS} rows + close (writes to disk)`,
  group: "log",
  baseline: true,
  n: 5,
  warmup: 1,
  async fn() {
    await logRows(ROWS);
  },
});

const written = await logRows(ROWS);
Deno.bench({
  name: `Store.open + rows() of ${ROWS} rows`,
  group: "read",
  n: 5,
  warmup: 1,
  async fn() {
    const n = await readRows(written);
    if (n !== ROWS) throw new Error(`read ${n} rows`);
  },
});

// A summary in rows/s, medians of several timed runs in this process.
async function median(
  runs: number,
  body: () => Promise<unknown>,
): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await body();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const writeMs = await median(5, () => logRows(ROWS));
const readMs = await median(5, () => readRows(written));
console.log(
  `\nstore: log ${ROWS} rows: median ${writeMs.toFixed(1)} ms = ${
    (ROWS / writeMs * 1000).toFixed(0)
  } rows/s`,
);
console.log(
  `store: read ${ROWS} rows: median ${readMs.toFixed(1)} ms = ${
    (ROWS / readMs * 1000).toFixed(0)
  } rows/s`,
);

const python = await findPython(["pandas", "tables"]);
if (python) {
  const script = new URL("./cox_append_rows.py", import.meta.url).pathname;
  const out = await new Deno.Command(python, {
    args: [script, "300"],
    stdout: "piped",
  }).output();
  const perRow = Number(new TextDecoder().decode(out.stdout).trim());
  const ours = writeMs / ROWS / 1000;
  console.log(
    `store: cox-style pandas append: ${(perRow * 1e3).toFixed(2)} ms/row = ${
      (1 / perRow).toFixed(0)
    } rows/s; ` +
      `ours is ${(perRow / ours).toFixed(0)}x faster`,
  );
}

import { readEvents, SummaryWriter } from "../src/tensorboard/mod.ts";

const N = 100_000;
const dir = Deno.makeTempDirSync({ prefix: "cox_tb_bench_" });

function writeScalars(): string {
  const w = new SummaryWriter(dir);
  for (let i = 0; i < N; i++) w.addScalar("train/loss", 1 / (i + 1), i);
  w.close();
  return w.path;
}

let path = "";
Deno.bench(`SummaryWriter.addScalar x ${N} incl. writes to disk`, {
  group: "write",
  baseline: true,
}, () => {
  path = writeScalars();
  Deno.removeSync(path);
});

Deno.bench(`SummaryWriter.addHistogram x 1000 (1000 values each)`, {
  group: "write",
}, () => {
  const values = Float64Array.from({ length: 1000 }, (_, i) => Math.sin(i));
  const w = new SummaryWriter(dir);
  for (let i = 0; i < 1000; i++) w.addHistogram("weights", values, i);
  w.close();
  Deno.removeSync(w.path);
});

const readPath = writeScalars();
Deno.bench(`readEvents of ${N} scalar events`, { group: "read" }, () => {
  readEvents(readPath);
});

// Timed runs after the benchmarks, so that the rate is printed as events/s (median of 9).
globalThis.addEventListener("unload", () => {
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
  const write: number[] = [];
  const read: number[] = [];
  for (let r = 0; r < 9; r++) {
    const t0 = performance.now();
    const p = writeScalars();
    write.push((performance.now() - t0) / 1000);
    const t1 = performance.now();
    readEvents(p);
    read.push((performance.now() - t1) / 1000);
    Deno.removeSync(p);
  }
  const w = median(write);
  console.log(
    `addScalar incl. disk writes: ${(N / w).toFixed(0)} events/s median (${
      ((w / N) * 1e9).toFixed(0)
    } ns/event); ` +
      `readEvents: ${(N / median(read)).toFixed(0)} events/s median`,
  );
  Deno.removeSync(dir, { recursive: true });
});

// One fresh process reading a sweep as a user would: import, CollectionReader.open,
// df("log"), df("metadata"). Prints JSON: times in ms from process start and peak RSS.
const start = performance.now(); // ms since the process started
const { CollectionReader } = await import("../mod.ts");
const imported = performance.now();
using reader = await CollectionReader.open(Deno.args[0], { progress: false });
const opened = performance.now();
const log = reader.df("log");
const logged = performance.now();
const meta = reader.df("metadata");
const done = performance.now();
const status = Deno.readTextFileSync("/proc/self/status");
const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
console.log(JSON.stringify({
  start,
  import: imported - start,
  open: opened - imported,
  log: logged - opened,
  metadata: done - logged,
  total: done - start,
  sinceProcessStart: done,
  rows: log.numRows(),
  metaRows: meta.numRows(),
  rssMB: hwm,
}));

// One fresh process reading a sweep as a user would: import, CollectionReader.open,
// df("log"), df("metadata"). Prints JSON: times in ms from process start, the
// main thread's CPU time of each step (which a busy machine changes far less
// than wall time), the whole process's CPU time (user + sys) and peak RSS.
const cpu = () =>
  Number(Deno.readTextFileSync("/proc/thread-self/schedstat").split(" ")[0]) /
  1e6;
const start = performance.now(); // ms since the process started
const c0 = cpu();
const { CollectionReader } = await import("../mod.ts");
const imported = performance.now();
const c1 = cpu();
using reader = await CollectionReader.open(Deno.args[0], { progress: false });
const opened = performance.now();
const c2 = cpu();
const log = reader.df("log");
const logged = performance.now();
const c3 = cpu();
const meta = reader.df("metadata");
const done = performance.now();
const c4 = cpu();
const status = Deno.readTextFileSync("/proc/self/status");
const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
const ticks = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(
  " ",
);
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
  cpu: {
    beforeImport: c0,
    import: c1 - c0,
    open: c2 - c1,
    log: c3 - c2,
    metadata: c4 - c3,
    main: c4,
    process: (Number(ticks[11]) + Number(ticks[12])) * 10, // 100 ticks a second
  },
}));

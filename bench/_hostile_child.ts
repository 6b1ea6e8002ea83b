// One fresh process reading a hostile input: `torch FILE` (readStateDict)
// or `store DIR` (a skipErrors sweep of DIR's log tables). Prints JSON: what
// happened, wall ms of the read, user+sys CPU ms of the process, peak RSS MB.
import { CollectionReader } from "../mod.ts";
import { readStateDict } from "../src/torch/mod.ts";
import { setWarningSink } from "../src/warn.ts";

const [kind, path] = Deno.args;
const warnings: string[] = [];
setWarningSink((m) => warnings.push(m));
const t0 = performance.now();
let outcome = "";
if (kind === "torch") {
  const bytes = Deno.readFileSync(path);
  try {
    readStateDict(bytes, { file: path });
    outcome = "read";
  } catch (e) {
    outcome = String(e).slice(0, 160);
  }
} else {
  using reader = await CollectionReader.open(path, {
    skipErrors: true,
    progress: false,
  });
  const rows = reader.df("log", { skipErrors: true }).numRows();
  outcome = `${rows} rows, ${warnings.length} warnings`;
}
const ms = performance.now() - t0;
const stat = Deno.readTextFileSync("/proc/self/stat");
const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
const cpuMs = (Number(fields[11]) + Number(fields[12])) * 10; // 100 Hz ticks
const rss = Number(
  /VmHWM:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))?.[1],
) / 1024;
console.log(JSON.stringify({ outcome, ms, cpuMs, rss }));

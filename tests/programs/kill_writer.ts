// Logs rows to <dir>/run in batches, flushing after each and printing
// "flushed <rows>" once flush() has returned, until it is killed (or, given a
// row limit, until it has logged that many rows: then it waits to be killed,
// so a slow machine's readers are not outrun by an ever-growing table). Row i
// is rowAt(i), so a reader can check every row it finds.
import { Store } from "../../mod.ts";
import { ROW_SCHEMA, rowAt } from "./rows.ts";

const [dir, seedText, limitText] = Deno.args;
const limit = limitText === undefined ? Infinity : Number(limitText);
let seed = Number(seedText) >>> 0;
const random = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
const out = (text: string) =>
  Deno.stdout.writeSync(new TextEncoder().encode(text + "\n"));

const store = await Store.open(dir, "run", { flushMs: 60_000 });
const t = store.addTable("t", ROW_SCHEMA);
let n = t.nrows;
out(`open ${n}`);
while (n < limit) {
  const batch = 1 + Math.floor(random() * 300);
  for (let k = 0; k < batch; k++) t.appendRow(rowAt(n++));
  store.flush();
  out(`flushed ${n}`);
  await new Promise((r) => setTimeout(r, random() * 5));
}
out("done");
setInterval(() => {}, 60_000); // hold the run until killed

// Logs rows to <dir>/run in batches, flushing after each and printing
// "flushed <rows>" once flush() has returned, until it is killed (or, given a
// row limit, until it has logged that many rows: then it waits to be killed,
// so a slow machine's readers are not outrun by an ever-growing table). Row i
// is rowAt(i), so a reader can check every row it finds. With "columns" as
// its fourth argument, about half the batches are appendColumns calls of up
// to 150,000 rows instead (printing "flushed <rows>" once it has returned:
// its rows are acknowledged then), the first batch of rows as always.
import { Store } from "../../mod.ts";
import { ROW_SCHEMA, rowAt } from "./rows.ts";

const [dir, seedText, limitText, how] = Deno.args;
const limit = limitText === undefined ? Infinity : Number(limitText);
let seed = Number(seedText) >>> 0;
const random = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
const out = (text: string) =>
  Deno.stdout.writeSync(new TextEncoder().encode(text + "\n"));

const store = await Store.open(dir, "run", { flushMs: 60_000 });
const t = store.addTable("t", ROW_SCHEMA);
let n = t.nrows;
const first = n;
out(`open ${n}`);
while (n < limit) {
  // the first batch is always rows, acknowledged within milliseconds
  if (how === "columns" && n > first && random() < 0.5) {
    const count = Math.min(
      limit - n,
      1 + Math.floor(random() * random() * 150_000),
    );
    const i: number[] = [];
    const x = new Float64Array(count);
    const s: string[] = [];
    const ok: boolean[] = [];
    for (let k = 0; k < count; k++) {
      const row = rowAt(n + k);
      i.push(row.i);
      x[k] = row.x;
      s.push(row.s);
      ok.push(row.ok);
    }
    t.appendColumns({ i, x, s, ok });
    n += count;
  } else {
    const batch = 1 + Math.floor(random() * 300);
    for (let k = 0; k < batch; k++) t.appendRow(rowAt(n++));
    store.flush();
  }
  out(`flushed ${n}`);
  await new Promise((r) => setTimeout(r, random() * 5));
}
out("done");
setInterval(() => {}, 60_000); // hold the run until killed

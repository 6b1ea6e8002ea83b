// One fresh process: open a run, add a table of N float columns, log one row,
// close. Prints the milliseconds from before Store.open to after close().
import { Store } from "../mod.ts";

const columns = Number(Deno.args[0] ?? 1000);
const dir = await Deno.makeTempDir({ prefix: "cox-wide-" });
const t0 = performance.now();
const store = await Store.open(dir, "run");
const schema: Record<string, "float"> = {};
for (let i = 0; i < columns; i++) schema[`class_${i}`] = "float";
const row: Record<string, number> = {};
for (let i = 0; i < columns; i++) row[`class_${i}`] = i / 7;
store.addTable("wide", schema).appendRow(row);
store.close();
console.log(performance.now() - t0);
await Deno.remove(dir, { recursive: true });

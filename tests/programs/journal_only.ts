// Appends rows <from>..<to>-1 to table "log" of <dir>/run and flushes them
// while another process holds store.h5 open (so they stay in the journal),
// prints "journaled <to>", and waits to be killed. Row i is
// { step: i, x: i / 4, tag: `tag-${i % 1000}` }.
import { Store } from "../../mod.ts";

const [dir, fromText, toText] = Deno.args;
const store = await Store.open(dir, "run", { flushMs: 600_000 });
const log = store.addTable("log", { step: "int", x: "float", tag: "str" });
for (let i = Number(fromText); i < Number(toText); i++) {
  log.appendRow({ step: i, x: i / 4, tag: `tag-${i % 1000}` });
}
store.flush();
Deno.stdout.writeSync(new TextEncoder().encode(`journaled ${toText}\n`));
await new Promise(() => setInterval(() => {}, 1000));

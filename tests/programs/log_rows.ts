// Logs N rows to <dir>/run without closing the store, prints "logged N", then
// exits normally or waits to be killed, as its third argument says.
import { Store } from "../../mod.ts";

const [dir, count, end] = Deno.args;
const store = await Store.open(dir, "run", { flushMs: 60_000 });
const t = store.addTable("t", { i: "int", s: "str" });
for (let i = 0; i < Number(count); i++) t.appendRow({ i, s: `row ${i}` });
console.log(`logged ${count}`);
if (end === "wait") await new Promise(() => setInterval(() => {}, 1000));

// Logs rows { i, t: Date.now() } in a loop that never awaits, until killed:
// only the clock check in appendRow can get them to disk.
import { Store } from "../../mod.ts";

const [dir, flushMs] = Deno.args;
const store = await Store.open(dir, "run", { flushMs: Number(flushMs) });
const t = store.addTable("t", { i: "int", t: "float", x: "float" });
Deno.stdout.writeSync(new TextEncoder().encode("start\n"));
let x = 0;
for (let i = 0;; i++) {
  // a little work per row, as a training step would do
  for (let k = 0; k < 200; k++) x = Math.sin(x + k);
  t.appendRow({ i, t: Date.now(), x });
}

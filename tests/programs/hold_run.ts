// Opens <dir>/<expId> for writing, prints "ready", and holds it until killed.
import { Store } from "../../mod.ts";

const [dir, expId] = Deno.args;
const store = await Store.open(dir, expId);
store.addTable("t", { a: "int" }).appendRow({ a: 1 });
store.flush();
Deno.stdout.writeSync(new TextEncoder().encode("ready\n"));
await new Promise(() => setInterval(() => {}, 1000));

// Tries to open <dir>/<expId> for writing once; prints "opened" or "locked <message>".
import { Store } from "../../mod.ts";
import { RunLockedError } from "../../src/run/run_lock.ts";

const [dir, expId] = Deno.args;
try {
  (await Store.open(dir, expId)).close();
  console.log("opened");
} catch (error) {
  if (!(error instanceof RunLockedError)) throw error;
  console.log(`locked ${error.message}`);
}

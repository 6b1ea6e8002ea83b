// One fresh process: Store.open of a new run, N rows of { loss, acc, epoch,
// tag } with unique tags, close(). Prints the milliseconds from before
// Store.open to after close(), and the process's CPU time (user + system,
// every thread: h5wasm compiles on background threads) over the same span.
import process from "node:process";
import { Store } from "../mod.ts";

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

const [dir, rowsText, how] = Deno.args;
const n = Number(rowsText);
const t0 = performance.now();
const c0 = cpuMs();
const store = await Store.open(dir, "run");
const log = store.addTable("log", {
  loss: "float",
  acc: "float",
  epoch: "int",
  tag: "str",
});
if (how === "columns") {
  const loss = new Float64Array(n);
  const acc = new Float64Array(n);
  const epoch = new BigInt64Array(n);
  const tag: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    loss[i] = 1 / (i + 1);
    acc[i] = i / n;
    epoch[i] = BigInt(i >> 10);
    tag[i] = `run-${String(i % 100_000).padStart(5, "0")}`;
  }
  const t1 = performance.now();
  const c1 = cpuMs();
  log.appendColumns({ loss, acc, epoch, tag });
  store.close();
  // arrays are the user's: only appendColumns + close is timed
  console.log(
    JSON.stringify({ ms: performance.now() - t1, cpuMs: cpuMs() - c1 }),
  );
} else {
  for (let i = 0; i < n; i++) {
    log.appendRow({
      loss: 1 / (i + 1),
      acc: i / n,
      epoch: i >> 10,
      tag: `run-${String(i % 100_000).padStart(5, "0")}`,
    });
  }
  store.close();
  console.log(
    JSON.stringify({ ms: performance.now() - t0, cpuMs: cpuMs() - c0 }),
  );
}

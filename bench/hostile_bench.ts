// Hostile inputs, each read in fresh processes (median of 3): a 2 MB torch
// archive whose two storages declare 1 KiB and inflate to 1000 MiB each, and
// a 1 MB store.h5 whose log deflates 1000 MiB of rows, and a 17 MB one whose
// root holds 100,000 groups beside its log. Needs /usr/bin/python3
// with torch and h5py to build them.
//   deno run -A bench/hostile_bench.ts
import { join } from "node:path";
import { Store } from "../mod.ts";
import { runPython } from "../tests/interop/python.ts";
import { torchBomb } from "../tests/torch/bomb.ts";

const dir = await Deno.makeTempDir({ prefix: "cox-hostile-bench-" });
const { bomb } = await torchBomb(dir);
const torchFile = join(dir, "bomb.pt");
Deno.writeFileSync(torchFile, bomb);
const storage = join(dir, "sweep");
{
  using store = await Store.open(storage, "bomb");
  store.addTable("log", { step: "int", loss: "float" }).appendRow({
    step: 1,
    loss: 0.5,
  });
}
const h5 = join(storage, "bomb", "store.h5");
await runPython(["h5py"], "../fuzz/_deflate_bomb.py", [h5, "1000"]);
// a valid table beside 100,000 empty groups
const groupsStorage = join(dir, "groups");
{
  using store = await Store.open(groupsStorage, "groups");
  store.addTable("log", { step: "int", loss: "float" }).appendRow({
    step: 1,
    loss: 0.5,
  });
}
const groupsH5 = join(groupsStorage, "groups", "store.h5");
await runPython(["h5py"], "../fuzz/_many_groups.py", [groupsH5, "100000"]);

const child = new URL("./_hostile_child.ts", import.meta.url).pathname;
for (
  const [kind, path, size] of [
    ["torch", torchFile, bomb.length],
    ["store", storage, Deno.statSync(h5).size],
    ["store", groupsStorage, Deno.statSync(groupsH5).size],
  ] as const
) {
  const runs: Record<string, number | string>[] = [];
  for (let i = 0; i < 3; i++) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", child, kind, path],
      stderr: "inherit",
    }).output();
    runs.push(JSON.parse(new TextDecoder().decode(out.stdout)));
  }
  const median = (k: string) =>
    runs.map((r) => r[k] as number).sort((a, b) => a - b)[1];
  console.log(
    `${kind} ${
      path === groupsStorage ? "100k groups" : "bomb"
    } (${size} bytes): ${
      runs[0].outcome
    }\n  median of 3 fresh processes: read ${
      median("ms").toFixed(0)
    } ms, process CPU (user+sys) ${median("cpuMs")} ms, peak RSS ${
      median("rss").toFixed(0)
    } MB`,
  );
}
console.log(`load average: ${Deno.readTextFileSync("/proc/loadavg").trim()}`);

// Child of bomb_test.ts: reads every PYTORCH_STATE cell of table `sd` in the
// run folder Deno.args[0] and prints what happened, with the time and the
// process's peak RSS.
import { basename, dirname } from "node:path";
import { CollectionReader } from "../../mod.ts";

const [run] = Deno.args;
const t0 = performance.now();
const results: string[] = [];
{
  using reader = await CollectionReader.open(dirname(run), {
    progress: false,
  });
  const table = reader.stores.get(basename(run))!.table("weights");
  for (const uuid of reader.df("weights").array("sd") as string[]) {
    try {
      const sd = table.getStateDict(uuid) as Record<
        string,
        { data: Float32Array }
      >;
      results.push(`ok ${sd.a.data.length} ${sd.b.data[0]}`);
    } catch (e) {
      results.push(`${(e as Error).name}: ${(e as Error).message}`);
    }
  }
}
const ms = performance.now() - t0;
const rss = Number(
  /VmHWM:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))?.[1],
) / 1024;
console.log(JSON.stringify({ results, ms, rss }));

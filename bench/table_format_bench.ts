// The first write of a wide table (1000 and 3000 float columns, one row), each
// in a fresh process as a user meets it (cold imports, wasm start-up), next
// to Python cox's way (add_table, then one pandas HDFStore.append of the row)
// measured in the same run when Debian's pandas is there. Medians of 3.
import { findPython } from "../tests/interop/python.ts";

const RUNS = 3;

async function timed(
  cmd: string,
  args: string[],
): Promise<{ wallMs: number; insideMs: number }> {
  const t0 = performance.now();
  const out = await new Deno.Command(cmd, { args, stdout: "piped" }).output();
  const wallMs = performance.now() - t0;
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed`);
  const inside = Number(new TextDecoder().decode(out.stdout).trim());
  return { wallMs, insideMs: cmd === "deno" ? inside : inside * 1000 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const here = new URL(".", import.meta.url).pathname;
const python = await findPython(["pandas", "tables"]);
for (const columns of [1000, 3000]) {
  const ours = [];
  const cox = [];
  for (let i = 0; i < RUNS; i++) {
    ours.push(
      await timed("deno", [
        "run",
        "-A",
        `${here}wide_table_write.ts`,
        String(columns),
      ]),
    );
    if (python) {
      cox.push(
        await timed(python, [`${here}cox_wide_table.py`, String(columns)]),
      );
    }
  }
  const line = (name: string, r: { wallMs: number; insideMs: number }[]) =>
    `${name}: first write ${median(r.map((x) => x.insideMs)).toFixed(0)} ms ` +
    `(whole process ${median(r.map((x) => x.wallMs)).toFixed(0)} ms)`;
  console.log(
    `\nwide table, ${columns} float columns, one row, median of ${RUNS}:`,
  );
  console.log(`  ${line("cox for Deno", ours)}`);
  if (python) console.log(`  ${line("Python cox (pandas append)", cox)}`);
}

Deno.bench({
  name: "first write of a 1000-column table (fresh process)",
  n: 3,
  warmup: 0,
  async fn() {
    await timed("deno", ["run", "-A", `${here}wide_table_write.ts`, "1000"]);
  },
});

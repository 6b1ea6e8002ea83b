// The two walkthroughs run as a user runs them, checked against what cox
// wrote for the same walkthroughs (fixtures/cox-0.2).
import { join } from "node:path";
import { assertEquals, assertOk } from "./assert.ts";
import { expectedCollection } from "./fixtures.ts";
import { CollectionReader, readEvents } from "../mod.ts";
import { ROOT, runDeno, TENSORBOARD_PERMISSIONS } from "./spawn.ts";

type Frame = ReturnType<CollectionReader["df"]>;
const byValues = (a: unknown[], b: unknown[]) =>
  JSON.stringify(a) < JSON.stringify(b) ? -1 : 1;
const objects = (df: Frame) => df.objects() as Record<string, unknown>[];

function runExample(name: string, args: string[]) {
  return runDeno([
    "run",
    "--check",
    // the permissions the README gives, not -A (walkthrough2 runs cox tensorboard)
    ...TENSORBOARD_PERMISSIONS,
    join(ROOT, "examples", name),
    ...args,
  ]);
}

Deno.test("walkthrough1 logs the 9 runs of cox's Walkthrough 1 with the results cox got", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cox-example1-" });
  try {
    const { code, stdout, stderr } = await runExample("walkthrough1.ts", [dir]);
    assertEquals(code, 0, stderr);
    assertOk(stdout.startsWith(`Logging to ${dir}\n`));
    const expected = await expectedCollection("walkthrough1");
    const key = (r: Record<string, unknown>) => `${r.final_x} ${r.final_opt}`;
    const want = expected.tables.result.rows.map(key).sort();
    const done = stdout.split("\n").filter((l) => l.startsWith("Done "))
      .map((l) => l.slice(5)).sort();
    assertEquals(done, want);
    assertOk(stdout.includes("running_log: 1045 rows over 9 runs\n"), stdout);
    assertOk(stdout.includes("runs with step_size < 1: 6\n"), stdout);
    assertOk(
      stdout.includes("best: final_opt 3.0009 at final_x 2, from initial_x 15"),
    );

    using reader = await CollectionReader.open(dir, { progress: false });
    assertEquals(reader.stores.size, 9);
    // rows in a canonical order, each as [column values...] without exp_id
    const ours = (table: string) =>
      objects(reader.df(table)).map((r) =>
        expected.tables[table].columns.filter((c) => c !== "exp_id").map((c) =>
          r[c]
        )
      ).sort(byValues);
    const cox = (table: string) =>
      expected.tables[table].rows.map((r) =>
        expected.tables[table].columns.filter((c) => c !== "exp_id").map((c) =>
          r[c]
        )
      ).sort(byValues);
    assertEquals(ours("metadata"), cox("metadata"));
    assertEquals(ours("result"), cox("result"));
    // Python's ** is the C library's pow, V8's is its own: f(x) may differ
    // in the last bit
    const log = ours("running_log");
    const wantLog = cox("running_log");
    assertEquals(log.length, wantLog.length);
    log.forEach((row, i) => {
      assertEquals(row[0], wantLog[i][0]);
      const [a, b] = [row[1] as number, wantLog[i][1] as number];
      assertOk(Math.abs(a - b) <= Math.abs(b) * 2 ** -52, `${a} vs ${b}`);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("walkthrough2 logs 5 slopes to tables and TensorBoard and names slopes 1 to 3 for tensorboard", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cox-example2-" });
  try {
    const { code, stdout, stderr } = await runExample("walkthrough2.ts", [
      dir,
      "--dry-run",
    ]);
    assertEquals(code, 0, stderr);
    assertOk(stdout.includes("line_graphs: 500 rows over 5 runs"), stdout);

    using reader = await CollectionReader.open(dir, { progress: false });
    const slopes = new Map(
      objects(reader.df("metadata")).map((
        r,
      ) => [r.exp_id as string, r.slope as number]),
    );
    assertEquals([...slopes.values()].sort(), [0, 1, 2, 3, 4]);
    const command = stdout.split("\n").find((l) =>
      l.startsWith("tensorboard ")
    )!;
    const spec = command.split(" ")[2].split(",").map((s) => s.split(":"));
    const want = [...slopes].filter(([, s]) =>
      (s as number) >= 1 && (s as number) <= 3
    )
      .map(([id]) => id as string).sort()
      .map((id) => [`slope-${slopes.get(id)}---${id}`, `${dir}/${id}`]);
    assertEquals(spec, want);
    assertOk(command.endsWith(" --port 6006"));

    // each run's events are those cox's walkthrough wrote for its slope
    const expected = await expectedCollection("walkthrough2");
    for (const [id, slope] of slopes) {
      const { events } = readEvents(join(dir, id, "tensorboard"));
      const scalars = events.flatMap((e) =>
        (e.summary ?? []).map((v) => [v.tag, e.step, v.simpleValue])
      );
      assertEquals(scalars.length, 200);
      assertEquals(scalars[2 * 7], [
        "line_graphs/mx",
        7,
        (slope as number) * 7,
      ]);
      assertEquals(scalars[2 * 7 + 1], [
        "line_graphs/mx_2",
        7,
        (slope as number) * 49,
      ]);
      const logged = objects(reader.df("line_graphs")).filter((r) =>
        r.exp_id === id
      );
      const cox = expected.tables.line_graphs.rows.filter((r) =>
        expected.tables.metadata.rows.find((m) => m.exp_id === r.exp_id)
          ?.slope === slope
      );
      assertEquals(
        logged.map((r) => [r.mx, r["mx^2"]]),
        cox.map((r) => [r.mx, r["mx^2"]]),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

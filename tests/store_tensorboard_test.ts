// A store's TensorBoard writer, and logTableAndTb logging one row to a table
// and to TensorBoard at once, as cox's walkthrough 2 does.
import { assertEquals, assertOk, assertThrows } from "./assert.ts";
import { readEvents, Store } from "../mod.ts";

/** Every [tag, step, value] of the scalars in a run's tensorboard folder. */
function scalars(dir: string): [string, number, number][] {
  const out: [string, number, number][] = [];
  for (const event of readEvents(dir).events) {
    for (const value of event.summary ?? []) {
      if (value.simpleValue !== undefined) {
        out.push([value.tag, Number(event.step), value.simpleValue]);
      }
    }
  }
  return out;
}

Deno.test("logTableAndTb() logs the same values to the table and, as <table>/<column> at step nrows, to TensorBoard", async () => {
  const dir = await Deno.makeTempDir();
  const slope = 3;
  {
    using store = await Store.open(dir, "run");
    const t = store.addTable("line_graphs", { mx: "int", "mx^2": "int" });
    for (let x = 0; x < 5; x++) {
      store.logTableAndTb("line_graphs", { mx: slope * x });
      store.logTableAndTb(t, { "mx^2": slope * x * x });
      t.flushRow();
    }
    assertOk(
      store.writer === store.tensorboard,
      "writer is the same SummaryWriter",
    );
  }
  using store = await Store.open(dir, "run", { mode: "r" });
  const rows = store.table("line_graphs").rows();
  assertEquals(
    rows,
    [0, 1, 2, 3, 4].map((x) => ({ mx: slope * x, "mx^2": slope * x * x })),
  );
  const logged = scalars(store.tensorboardDir);
  // tensorboardX cleans "^" out of tags, and so do we
  const want: [string, number, number][] = [];
  rows.forEach((row, step) => {
    want.push(["line_graphs/mx", step, row.mx as number]);
    want.push(["line_graphs/mx_2", step, row["mx^2"] as number]);
  });
  assertEquals(logged, want);
  assertThrows(() => store.tensorboard, TypeError, "read-only");
});

Deno.test("logTableAndTb() checks the values and the summary type before logging anything", async () => {
  const dir = await Deno.makeTempDir();
  using store = await Store.open(dir, "run");
  const t = store.addTable("m", { loss: "float" });
  assertThrows(
    () => store.logTableAndTb(t, { loss: 1 }, "audio" as "scalar"),
    TypeError,
    `"audio"`,
    "scalar, histogram, text or image",
  );
  assertThrows(
    () => store.logTableAndTb(t, { loss: "high" as unknown as number }),
    TypeError,
    `column "loss"`,
  );
  assertEquals(t.workingRow, {});
  store.logTableAndTb(t, { loss: 0.25 });
  store.flush();
  assertEquals(scalars(store.tensorboardDir), [["m/loss", 0, 0.25]]);
});

Deno.test("logTableAndTb() with summary type histogram writes a histogram of the value", async () => {
  const dir = await Deno.makeTempDir();
  using store = await Store.open(dir, "run");
  const t = store.addTable("w", { weights: "__object__" });
  store.logTableAndTb(t, { weights: [0, 0, 1] }, "histogram");
  t.flushRow();
  store.flush();
  const histograms = readEvents(store.tensorboardDir).events.flatMap((e) =>
    (e.summary ?? []).filter((v) => v.histogram).map((
      v,
    ) => [v.tag, v.histogram!.num, v.histogram!.max])
  );
  assertEquals(histograms, [["w/weights", 3, 1]]);
});

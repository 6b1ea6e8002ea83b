// The dashboard's server while runs are read and written: it answers before
// every run is read, a long poll answers as soon as a run grows (the sweep's
// folder is watched), with only what was added, and the server writes
// nothing into the sweep.

import { join } from "node:path";
import { Store } from "../../mod.ts";
import { startDashboard } from "../../src/dashboard/server.ts";
import { Sweep } from "../../src/dashboard/sweep.ts";
import { setWarningSink } from "../../src/warn.ts";
import { FIXTURES } from "../fixtures.ts";
import { assert, assertEquals } from "../tensorboard/_util.ts";
import { lossAt, writeSweep } from "./_sweep.ts";

const W2 = join(FIXTURES, "walkthrough2");
const RUN = "2a02c3b9-f357-4a45-b08f-b214ebaaa387";

interface SweepAnswer {
  version: number;
  loading: boolean;
  total: number;
  runs: { id: string; rows: Record<string, number> }[];
}

async function sweepInfo(origin: string, query = ""): Promise<SweepAnswer> {
  const r = await fetch(`${origin}/api/sweep${query}`);
  assertEquals(r.status, 200);
  return await r.json();
}

/** Every file under `dir` with its size and mtime. */
function listing(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) walk(p);
      else {
        const st = Deno.statSync(p);
        out.set(p, `${st.size}:${st.mtime?.getTime()}`);
      }
    }
  };
  walk(dir);
  return out;
}

Deno.test("dashboard live: the server answers before every run is read, and the rest arrive through the long poll", async () => {
  const restore = setWarningSink(() => {});
  const dir = Deno.makeTempDirSync({ prefix: "cox_dash_live_" });
  // enough runs that the pass is still going when the first request comes
  // (400 were read whole before it on an idle machine)
  const runs = 2000;
  const h5 = Deno.readFileSync(join(W2, RUN, "store.h5"));
  for (let i = 0; i < runs; i++) {
    const id = `run-${String(i).padStart(4, "0")}`;
    Deno.mkdirSync(join(dir, id));
    Deno.writeFileSync(join(dir, id, "store.h5"), h5);
  }
  const before = listing(dir);
  const d = await startDashboard({ dir, port: 0, filters: [] });
  try {
    const first = await sweepInfo(d.origin);
    assertEquals(first.loading, true);
    assert(
      first.runs.length > 0 && first.runs.length < runs,
      `the first answer should hold some of the ${runs} runs, not ${first.runs.length}`,
    );
    assertEquals(first.total, first.runs.length);
    // a long poll answers with the runs read since, before the pass ends
    const next = await sweepInfo(
      d.origin,
      `?since=${first.version}&wait=20000`,
    );
    assert(next.version > first.version);
    assert(next.runs.length > 0);
    const firstIds = new Set(first.runs.map((r) => r.id));
    assert(next.runs.every((r) => !firstIds.has(r.id)));
    await d.sweep.loaded;
    const all = await sweepInfo(d.origin);
    assertEquals(all.loading, false);
    assertEquals(all.runs.length, runs);
    assertEquals(all.runs[0].id, "run-0000");
    assertEquals(
      all.runs[runs - 1].id,
      `run-${String(runs - 1).padStart(4, "0")}`,
    );
    assertEquals(all.runs[7].rows.metadata, 1);
    // a page whose last answer still said "loading" polls after the pass
    // ended, with nothing newer to see: it hears of the end at once, not
    // after its poll's wait
    const t0 = performance.now();
    const ended = await sweepInfo(
      d.origin,
      `?since=${all.version}&wait=20000&loading=1`,
    );
    assertEquals(ended.loading, false);
    assertEquals(ended.runs.length, 0);
    assert(
      performance.now() - t0 < 10_000,
      `the poll waited ${performance.now() - t0} ms for a change`,
    );
  } finally {
    await d.shutdown();
    setWarningSink(restore);
  }
  assertEquals(listing(dir), before, "the dashboard changed the sweep");
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("dashboard live: a long poll answers when a run appends rows, and the series answer holds only the new points", async () => {
  const restore = setWarningSink(() => {});
  const dir = Deno.makeTempDirSync({ prefix: "cox_dash_live_" });
  await writeSweep(dir, 2, 10);
  const d = await startDashboard({ dir, port: 0, filters: [] });
  try {
    await d.sweep.loaded;
    const v0 = (await sweepInfo(d.origin)).version;
    // nothing changes: the long poll waits its time out and sends no run
    const idle = await sweepInfo(d.origin, `?since=${v0}&wait=200`);
    assertEquals(idle.version, v0);
    assertEquals(idle.runs, []);

    const polled = sweepInfo(d.origin, `?since=${v0}&wait=25000`);
    const asked = performance.now();
    {
      using store = await Store.open(dir, "run-0001");
      const log = store.table("log");
      for (let s = 10; s < 15; s++) {
        log.appendRow({ step: s, loss: lossAt(1, s), acc: 1 - lossAt(1, s) });
      }
      store.flush();
    }
    const answer = await polled;
    // answered because of the change, long before the wait ran out
    assert(performance.now() - asked < 20_000);
    assert(answer.version > v0);
    assertEquals(answer.runs.map((r) => r.id), ["run-0001"]);
    assertEquals(answer.runs[0].rows.log, 15);

    const r = await fetch(`${d.origin}/api/series`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        key: "t:log/loss",
        x: "step",
        width: 800,
        runs: [["run-0001", 10]],
      }),
    });
    const buf = await r.arrayBuffer();
    const n = new DataView(buf).getUint32(0, true);
    const head = JSON.parse(
      new TextDecoder().decode(new Uint8Array(buf, 4, n)),
    );
    assertEquals(head, [{ id: "run-0001", total: 15, from: 10, n: 5 }]);
    const at = Math.ceil((4 + n) / 8) * 8;
    const xs = [...new Float64Array(buf, at, 5)];
    const ys = [...new Float64Array(buf, at + 40, 5)];
    assertEquals(xs, [10, 11, 12, 13, 14]);
    assertEquals(ys, [10, 11, 12, 13, 14].map((s) => lossAt(1, s)));
  } finally {
    await d.shutdown();
    setWarningSink(restore);
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("dashboard live: a watched sweep reads a new run and an event file's new records as they are written", async () => {
  const restore = setWarningSink(() => {});
  const dir = Deno.makeTempDirSync({ prefix: "cox_dash_live_" });
  await writeSweep(dir, 1, 3);
  const sweep = new Sweep(dir);
  try {
    await sweep.refresh();
    assert(await sweep.watch(), "Deno.watchFs should watch the sweep");
    const v0 = sweep.version;
    {
      using store = await Store.open(dir, "run-0005", { new: true });
      store.tensorboard.addScalar("train/loss", 0.5, 0);
      store.tensorboard.flush();
    }
    assert(await sweep.changed(v0, 20_000), "the new run was not seen");
    // wait until the watch has read what the writer left
    for (let i = 0; i < 200 && !sweep.runs.get("run-0005")?.tags.size; i++) {
      await sweep.changed(sweep.version, 100);
    }
    assertEquals([...sweep.runs.keys()], ["run-0000", "run-0005"]);
    const tag = sweep.runs.get("run-0005")!.tags.get("train/loss")!;
    assertEquals([...tag.y.values], [0.5]);
    const v1 = sweep.version;
    {
      using store = await Store.open(dir, "run-0005");
      store.tensorboard.addScalar("train/loss", 0.25, 1);
      store.tensorboard.flush();
    }
    for (let i = 0; i < 200 && tag.y.length < 2; i++) {
      await sweep.changed(sweep.version, 100);
    }
    assert(sweep.version > v1);
    assertEquals([...tag.y.values], [0.5, 0.25]);
    assertEquals([...tag.x.step.values], [0, 1]);
  } finally {
    sweep.close();
    setWarningSink(restore);
    Deno.removeSync(dir, { recursive: true });
  }
});

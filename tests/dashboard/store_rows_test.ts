// The dashboard's fast, incremental reads of store.h5: the values it holds
// equal the rows `Store` reads, a live update takes only the new rows, and
// runs it does not read itself go through `Store.open` with the same result.

import { join } from "node:path";
import { Store } from "../../mod.ts";
import { readNewRows } from "../../src/dashboard/store_rows.ts";
import { Sweep } from "../../src/dashboard/sweep.ts";
import { setWarningSink } from "../../src/warn.ts";
import { assert, assertEquals } from "../tensorboard/_util.ts";
import { lossAt, runParams, writeSweep } from "./_sweep.ts";

function tempDir(): string {
  return Deno.makeTempDirSync({ prefix: "cox_dash_rows_" });
}

Deno.test("dashboard rows: the values held equal the rows Store reads", async () => {
  const dir = tempDir();
  try {
    await writeSweep(dir, 3, 50);
    const sweep = new Sweep(dir);
    await sweep.refresh();
    for (const id of ["run-0000", "run-0001", "run-0002"]) {
      const run = sweep.runs.get(id)!;
      assertEquals(run.broken, null);
      using store = await Store.open(dir, id, { mode: "r" });
      const log = store.table("log").columns();
      const held = run.tables.get("log")!;
      assertEquals(held.nrows, 50);
      for (const column of ["step", "loss", "acc"]) {
        assertEquals(
          [...held.numeric.get(column)!.values],
          (log[column] as unknown[]).map(Number),
        );
      }
      const i = Number(id.slice(4));
      assertEquals(held.numeric.get("loss")!.values[7], lossAt(i, 7));
      assertEquals(run.metadata, store.table("metadata").rows()[0]);
      assertEquals(run.metadata!.opt, runParams(i).opt);
      assertEquals(run.metadataSchema, {
        lr: "float",
        opt: "str",
        seed: "int",
      });
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("dashboard rows: a live update reads only the rows appended", async () => {
  const dir = tempDir();
  try {
    await writeSweep(dir, 1, 20);
    const path = join(dir, "run-0000");
    const first = readNewRows(path, new Map(), "metadata")!;
    assertEquals(first.get("log")!.start, 0);
    assertEquals(first.get("log")!.nrows, 20);
    assertEquals(first.get("log")!.columns.step.length, 20);
    const held = new Map([...first].map(([k, v]) => [k, v]));
    // nothing changed: nothing read
    assertEquals(readNewRows(path, held, "metadata")!.size, 0);
    {
      using store = await Store.open(dir, "run-0000");
      const log = store.table("log");
      for (let s = 20; s < 25; s++) {
        log.appendRow({ step: s, loss: lossAt(0, s), acc: 0.5 });
      }
    }
    const next = readNewRows(path, held, "metadata")!;
    assertEquals([...next.keys()], ["log"]);
    const rows = next.get("log")!;
    assertEquals(rows.start, 20);
    assertEquals(rows.nrows, 25);
    assertEquals(Array.from(rows.columns.step, Number), [20, 21, 22, 23, 24]);
    // numeric columns come as numbers
    assertEquals(
      rows.columns.loss,
      new Float64Array([20, 21, 22, 23, 24].map((s) => lossAt(0, s))),
    );
    assertEquals(rows.columns.acc, new Float64Array([0.5, 0.5, 0.5, 0.5, 0.5]));

    const sweep = new Sweep(dir);
    await sweep.refresh();
    const log = sweep.runs.get("run-0000")!.tables.get("log")!;
    assertEquals(log.nrows, 25);
    assertEquals(log.numeric.get("step")!.values[24], 24);
    assertEquals(log.numeric.get("acc")!.values[24], 0.5);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("dashboard rows: a run with a journal goes through Store.open, with the same values", async () => {
  const dir = tempDir();
  const warnings: string[] = [];
  const restore = setWarningSink((m) => warnings.push(m));
  try {
    await writeSweep(dir, 1, 10);
    const path = join(dir, "run-0000");
    // a journal's bytes (here a torn record) are Store.open's to judge
    Deno.writeFileSync(`${path}/store.h5.journal`, new Uint8Array([1, 2, 3]));
    assertEquals(readNewRows(path, new Map(), "metadata"), null);
    const sweep = new Sweep(dir);
    await sweep.refresh();
    const run = sweep.runs.get("run-0000")!;
    assertEquals(run.broken, null);
    const held = run.tables.get("log")!;
    assertEquals(held.nrows, 10);
    assertEquals(held.numeric.get("loss")!.values[9], lossAt(0, 9));
    assertEquals(run.metadata!.seed, runParams(0).seed);
    assert(
      warnings.some((w) => w.includes("store.h5.journal")),
      `Store.open warned of the journal: ${warnings.join("; ")}`,
    );
  } finally {
    setWarningSink(restore);
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("dashboard rows: a metadata table with object cells goes through Store.open", async () => {
  const dir = tempDir();
  try {
    {
      using store = await Store.open(dir, "run-0000", { new: true });
      store.addTable("metadata", { lr: "float", extra: "__object__" })
        .appendRow({ lr: 0.5, extra: { a: 1 } });
      store.addTable("log", { loss: "float" }).appendRow({ loss: 2 });
    }
    const path = join(dir, "run-0000");
    assertEquals(readNewRows(path, new Map(), "metadata"), null);
    const sweep = new Sweep(dir);
    await sweep.refresh();
    const run = sweep.runs.get("run-0000")!;
    assertEquals(run.broken, null);
    assertEquals(run.metadata!.lr, 0.5);
    assert(run.metadata!.extra !== undefined, "the object cell is decoded");
    assertEquals([...run.tables.get("log")!.numeric.get("loss")!.values], [2]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

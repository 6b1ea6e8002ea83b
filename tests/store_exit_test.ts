// Pending rows reach store.h5 when the process ends normally or by SIGINT/SIGTERM.
import { assertEquals, assertOk } from "./assert.ts";
import { quietly } from "./warnings.ts";
import { Store } from "../mod.ts";

const PROGRAM = new URL("./programs/log_rows.ts", import.meta.url).pathname;

async function rowsOnDisk(dir: string): Promise<number[]> {
  using store = await Store.open(dir, "run", { mode: "r" });
  return store.table("t").columns().i as number[];
}

Deno.test("pending rows are written on a normal exit without close()", async () => {
  const dir = await Deno.makeTempDir();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", PROGRAM, dir, "50", "exit"],
  }).output();
  assertEquals(out.code, 0);
  assertEquals(await rowsOnDisk(dir), Array.from({ length: 50 }, (_, i) => i));
});

for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  Deno.test(`pending rows are written on ${signal}, and the process exits with ${code}`, async () => {
    const dir = await Deno.makeTempDir();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", PROGRAM, dir, "20", "wait"],
      stdout: "piped",
    }).spawn();
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    assertEquals(new TextDecoder().decode(value).trim(), "logged 20");
    child.kill(signal);
    const status = await child.status;
    reader.releaseLock();
    await child.stdout.cancel();
    assertEquals(status.code, code);
    assertEquals(
      await rowsOnDisk(dir),
      Array.from({ length: 20 }, (_, i) => i),
    );
  });
}

Deno.test("a loop that never awaits still gets its rows to disk every flushMs (SIGKILL after 3 s)", async () => {
  const dir = await Deno.makeTempDir();
  const flushMs = 300;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./programs/busy_loop.ts", import.meta.url).pathname,
      dir,
      String(flushMs),
    ],
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  await reader.read(); // "start"
  await new Promise((r) => setTimeout(r, 3000));
  const killedAt = Date.now();
  child.kill("SIGKILL");
  await child.status;
  reader.releaseLock();
  await child.stdout.cancel();
  const { value: columns } = await quietly(async () => {
    using store = await Store.open(dir, "run", { mode: "r" });
    return store.table("t").columns();
  });
  const n = columns.i.length;
  assertOk(n > 1000, `only ${n} rows reached the disk`);
  assertEquals(columns.i[n - 1], n - 1); // every row up to the last, in order
  const lost = killedAt - (columns.t[n - 1] as number);
  // at most flushMs of rows, plus the time a flush takes (which this slack covers)
  assertOk(lost <= flushMs + 400, `the last row on disk is ${lost} ms old`);
});

Deno.test("SIGTERM stops a loop that never awaits within a second, with every row it logged on disk", async () => {
  const dir = await Deno.makeTempDir();
  // no flush is due in this test: only the signal can bring the rows to disk
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./programs/busy_loop.ts", import.meta.url).pathname,
      dir,
      "600000",
    ],
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  await reader.read(); // "start"
  await new Promise((r) => setTimeout(r, 1000));
  const killedAt = Date.now();
  child.kill("SIGTERM");
  const status = await child.status;
  const exitedAfter = Date.now() - killedAt;
  reader.releaseLock();
  await child.stdout.cancel();
  assertEquals(status.code, 143);
  assertOk(exitedAfter < 1500, `exited ${exitedAfter} ms after SIGTERM`);
  const { value: columns } = await quietly(async () => {
    using store = await Store.open(dir, "run", { mode: "r" });
    return store.table("t").columns();
  });
  const n = columns.i.length;
  assertOk(n > 1000, `only ${n} rows reached the disk`);
  assertEquals(columns.i[n - 1], n - 1); // every row up to the last, in order
  // the rows logged up to the signal (and a few after it) are all there
  const last = columns.t[n - 1] as number;
  assertOk(
    last >= killedAt - 100,
    `the last row on disk is ${killedAt - last} ms older than the signal`,
  );
});

Deno.test("the signal watcher thread starts only once a loop has run BUSY_LOOP_MS without awaiting", async () => {
  const { BUSY_LOOP_MS, watcherArmed } = await import(
    "../src/run/exit_hooks.ts"
  );
  const dir = await Deno.makeTempDir();
  {
    using store = await Store.open(dir, "run", { flushMs: 600_000 });
    const t = store.addTable("t", { i: "int" });
    // a loop that awaits every 300 rows: the main thread's listeners serve it
    let i = 0;
    const end = performance.now() + 2 * BUSY_LOOP_MS;
    while (performance.now() < end) {
      for (let k = 0; k < 300; k++) t.appendRow({ i: i++ });
      await new Promise((r) => setTimeout(r, 0));
    }
    assertEquals(watcherArmed(), false);
    // one that never awaits: a clock check past BUSY_LOOP_MS starts it (the
    // loop runs until then, however slowly a loaded machine lets it run)
    const busyStart = performance.now();
    while (!watcherArmed() && performance.now() - busyStart < 20_000) {
      t.appendRow({ i: i++ });
    }
    assertEquals(watcherArmed(), true);
    assertOk(performance.now() - busyStart >= BUSY_LOOP_MS);
  }
  assertEquals(watcherArmed(), false); // disarmed with the last store
});

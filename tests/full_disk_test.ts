// A disk that fills up at every step of a flush: the journal write, and then
// each step of bringing store.h5 up to date, by a whole-file replacement (a
// string column widened) or in place (undo log). For each number of free
// 4 KiB pages (tmpfs allocates whole pages, so that is "to the byte") from
// none up to enough, the flush either succeeds or fails with an error naming
// the run, leaving store.h5 as it was (byte for byte, checked by us and by
// pandas) and every row in the journal or pending; once room is made, every
// row arrives.
import { join } from "node:path";
import { assertEquals, assertOk } from "./assert.ts";
import { Store } from "../mod.ts";
import { ROW_SCHEMA, rowAt } from "./programs/rows.ts";
import { ignoreUnless, runPython } from "./interop/python.ts";
import { quietly } from "./warnings.ts";

const PAGE = 4096;

async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
}

async function canMount(): Promise<boolean> {
  if (Deno.build.os !== "linux") return false;
  const dir = await Deno.makeTempDir();
  try {
    await run("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir]);
    await run("umount", [dir]);
    return true;
  } catch {
    return false;
  }
}

/** Fills the file system of `dir` with `filler` until exactly `free` bytes (whole pages) are left. */
function fillLeaving(filler: string, free: number): void {
  const file = Deno.openSync(filler, { write: true, create: true });
  try {
    const chunk = new Uint8Array(1 << 20).fill(1);
    let size = file.statSync().size;
    for (const step of [1 << 20, PAGE]) {
      for (;;) {
        try {
          file.seekSync(size, Deno.SeekMode.Start);
          const n = file.writeSync(chunk.subarray(0, step));
          size += n;
          if (n < step) break;
        } catch {
          break;
        }
      }
    }
    if (free > size) throw new Error(`cannot leave ${free} bytes free`);
    file.truncateSync(size - free);
  } finally {
    file.close();
  }
}

function copyDir(from: string, to: string): void {
  Deno.mkdirSync(to, { recursive: true });
  for (const e of Deno.readDirSync(from)) {
    if (e.isDirectory) copyDir(join(from, e.name), join(to, e.name));
    else if (e.isFile) Deno.copyFileSync(join(from, e.name), join(to, e.name));
  }
}

function sizeOf(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0;
  }
}

function checkRows(
  rows: Record<string, unknown>[],
  count: number,
  where: string,
): void {
  assertEquals(rows.length, count, `${where}: rows`);
  rows.forEach((got, i) => {
    const want = rowAt(i);
    if (
      got.i !== want.i || got.x !== want.x || got.s !== want.s ||
      got.ok !== want.ok
    ) {
      throw new Error(
        `${where}: row ${i} is ${JSON.stringify(got)}, expected ${
          JSON.stringify(want)
        }`,
      );
    }
  });
}

async function readRows(root: string): Promise<Record<string, unknown>[]> {
  const { value } = await quietly(async () => {
    using reader = await Store.open(root, "run", { mode: "r" });
    return reader.table("t").rows();
  });
  return value;
}

/** The step a failure message names (HDF5's own words cut at its back trace). */
function step(message: string): string {
  return message.replaceAll(/\/[^ :]*\//g, "").replaceAll(/[0-9]+/g, "N")
    .replace(/time = .*?(,|$)/, "")
    .slice(0, 200);
}

interface Case {
  /** What brings the batch into store.h5. */
  path: "replacement" | "in place";
  /** Rows in store.h5 before the flush. */
  before: number;
  /** Rows the flush adds. */
  batch: number;
  /** Words of the failures expected among the levels (one per step). */
  steps: string[];
}

// rows 211 and 422 have strings longer than any before (see rows.ts): a
// batch holding one widens column s, which rebuilds store.h5
const CASES: Case[] = [
  {
    path: "replacement",
    before: 400,
    batch: 30,
    steps: ["the journal", "store.hN.tmp-N: file write failed"],
  },
  {
    path: "in place",
    before: 430,
    batch: 200,
    steps: [
      "the journal",
      "Cannot use store.hN: file write failed",
      "its undo log store.hN.undo failed: No space left on device",
    ],
  },
];

const mountable = await canMount();

Deno.test({
  name:
    "a disk full at every page of a flush (journal, replacement, in-place update): store.h5 and the journal stay whole, the error names the run, nothing is lost once there is room",
  ignore: !mountable || await ignoreUnless(["pandas", "tables"]),
  async fn() {
    const disk = await Deno.makeTempDir({ prefix: "cox-full-disk-" });
    const checks: string[] = []; // store.h5 path, rows, for pandas
    const mnt = await Deno.makeTempDir();
    await run("mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", mnt]);
    try {
      for (const c of CASES) {
        // the run as it is before the flush, kept on the real disk
        const template = join(disk, `template-${c.path}`);
        await quietly(async () => {
          using store = await Store.open(template, "run");
          const t = store.addTable("t", ROW_SCHEMA);
          for (let i = 0; i < c.before; i++) t.appendRow(rowAt(i));
        });
        const storeBytes = Deno.readFileSync(join(template, "run", "store.h5"));
        const failures = new Map<string, number>();
        let succeeded = -1;
        for (let pages = 0; pages < 400 && succeeded < 0; pages++) {
          const where = `${c.path}, ${pages} pages free`;
          const root = join(mnt, "r");
          try {
            Deno.removeSync(root, { recursive: true });
          } catch {
            // the first case
          }
          copyDir(template, root);
          const storePath = join(root, "run", "store.h5");
          const journalPath = storePath + ".journal";
          const filler = join(mnt, "filler");
          let error: Error | null = null;
          await quietly(async () => {
            const store = await Store.open(root, "run", { flushMs: 60_000 });
            const t = store.table<typeof ROW_SCHEMA>("t");
            for (let i = c.before; i < c.before + c.batch; i++) {
              t.appendRow(rowAt(i));
            }
            fillLeaving(filler, pages * PAGE);
            try {
              store.flush();
            } catch (e) {
              error = e as Error;
            }
            if (error === null) {
              succeeded = pages;
              Deno.removeSync(filler);
              store.close();
              return;
            }
            const message = (error as Error).message;
            assertOk(
              message.includes(join(root, "run")),
              `${where}: ${message}`,
            );
            const journaled = sizeOf(journalPath) > 0;
            assertOk(
              journaled
                ? message.includes("stay safe in") &&
                  message.includes(journalPath)
                : message.includes("stay pending"),
              `${where}: ${message}`,
            );
            const kind = journaled ? step(message) : "the journal";
            failures.set(kind, (failures.get(kind) ?? 0) + 1);
            // the old store.h5, exactly, and no leftover replacement file
            assertEquals(
              Deno.readFileSync(storePath),
              storeBytes,
              `${where}: store.h5 is as it was (${message})`,
            );
            assertEquals(
              [...Deno.readDirSync(join(root, "run"))].map((e) => e.name)
                .filter((n) => n.includes(".tmp-")),
              [],
              where,
            );
            // our readers see the rows the journal holds
            checkRows(
              await readRows(root),
              c.before + (journaled ? c.batch : 0),
              `${where}, after the failure`,
            );
            if (pages % 7 === 0) {
              const copy = join(disk, `failed-${c.path}-${pages}.h5`);
              Deno.copyFileSync(storePath, copy);
              checks.push(copy, String(c.before));
            }
            // room is made: the rows go in at the next flush
            Deno.removeSync(filler);
            store.flush();
            store.close();
          });
          checkRows(
            await readRows(root),
            c.before + c.batch,
            `${where}, once there was room`,
          );
          assertEquals(sizeOf(journalPath), 0, `${where}: journal emptied`);
          if (pages % 7 === 0 || succeeded >= 0) {
            const copy = join(disk, `after-${c.path}-${pages}.h5`);
            Deno.copyFileSync(storePath, copy);
            checks.push(copy, String(c.before + c.batch));
          }
        }
        assertOk(succeeded > 0, `${c.path}: the flush never succeeded`);
        // each step ran out of room at some level
        for (const want of c.steps) {
          assertOk(
            [...failures.keys()].some((k) => k.includes(want)),
            `${c.path}: no failure at "${want}": ${
              JSON.stringify([...failures])
            }`,
          );
        }
      }
    } finally {
      await run("umount", ["-l", mnt]);
    }
    // pandas reads every store.h5 kept: the old one after a failure, the new one after
    const out = await runPython(["pandas", "tables"], "check_rows.py", checks);
    assertEquals(out.trim().split("\n").length, checks.length / 2);
  },
});

/** Makes a file unchangeable, even for root (`chattr +i`), or changeable again. */
async function immutable(path: string, on: boolean): Promise<boolean> {
  try {
    const out = await new Deno.Command("chattr", {
      args: [on ? "+i" : "-i", path],
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

async function canMakeImmutable(): Promise<boolean> {
  const probe = await Deno.makeTempFile();
  try {
    return await immutable(probe, true);
  } finally {
    await immutable(probe, false);
    await Deno.remove(probe);
  }
}

Deno.test({
  name:
    "a replacement whose rename fails keeps store.h5 and the journal, says so naming the run, and goes in later",
  ignore: !(await canMakeImmutable()),
  async fn() {
    const root = await Deno.makeTempDir();
    const storePath = join(root, "run", "store.h5");
    await quietly(async () => {
      using store = await Store.open(root, "run");
      const t = store.addTable("t", ROW_SCHEMA);
      for (let i = 0; i < 400; i++) t.appendRow(rowAt(i));
    });
    const before = Deno.readFileSync(storePath);
    const { value: store } = await quietly(() => Store.open(root, "run"));
    const t = store.table<typeof ROW_SCHEMA>("t");
    for (let i = 400; i < 430; i++) t.appendRow(rowAt(i)); // row 422 widens s
    // the new file is written, checked and synced; only the rename over the old one fails
    assertOk(await immutable(storePath, true));
    let message = "";
    try {
      await quietly(() => store.flush());
    } catch (error) {
      message = (error as Error).message;
    } finally {
      await immutable(storePath, false);
    }
    for (
      const part of [
        join(root, "run"),
        "Cannot replace",
        "Operation not permitted",
        `30 rows of table "t" stay safe in ${storePath}.journal`,
      ]
    ) assertOk(message.includes(part), message);
    assertEquals(Deno.readFileSync(storePath), before);
    assertEquals(
      [...Deno.readDirSync(join(root, "run"))].filter((e) =>
        e.name.includes(".tmp-")
      ).length,
      0,
    );
    checkRows(await readRows(root), 430, "after the failed rename");
    await quietly(() => store.close());
    checkRows(await readRows(root), 430, "after the next flush");
    assertEquals(sizeOf(storePath + ".journal"), 0);
  },
});

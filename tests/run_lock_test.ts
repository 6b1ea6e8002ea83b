// The run lock across PID namespaces (`unshare -p`): a live writer in
// another namespace is never taken over, and a dead one is; an empty or
// unreadable lock file is not held for ever.
import { join } from "node:path";
import { assertEquals, assertOk, assertRejects } from "./assert.ts";
import { Store } from "../mod.ts";
import { RunLockedError } from "../src/run/run_lock.ts";
import { quietly } from "./warnings.ts";

const HOLD_RUN = new URL("./programs/hold_run.ts", import.meta.url).pathname;
const TRY_OPEN = new URL("./programs/try_open.ts", import.meta.url).pathname;

/** Whether this process may make PID namespaces (root, or user namespaces allowed). */
async function canUnshare(): Promise<boolean> {
  if (Deno.build.os !== "linux") return false;
  try {
    const out = await new Deno.Command("unshare", {
      args: ["-p", "-f", "--mount-proc", "true"],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

const unshare = await canUnshare();

/** `deno run -A program args...` in a new PID namespace (with its own /proc). */
function inNamespace(program: string, args: string[]): Deno.ChildProcess {
  return new Deno.Command("unshare", {
    args: [
      "-p",
      "-f",
      "--mount-proc",
      "--kill-child",
      Deno.execPath(),
      "run",
      "-A",
      program,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function firstLine(child: Deno.ChildProcess): Promise<string> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  reader.releaseLock();
  return text.split("\n")[0];
}

Deno.test({
  name:
    "a writer in another PID namespace keeps its lock while it lives, and loses it when it dies",
  ignore: !unshare,
  async fn() {
    const dir = await Deno.makeTempDir();
    const holder = inNamespace(HOLD_RUN, [dir, "run"]);
    try {
      assertEquals(await firstLine(holder), "ready");
      // its pid means nothing here; the OS lock says it is alive
      await assertRejects(
        () => Store.open(dir, "run"),
        RunLockedError,
        "PID namespace",
      );
      // nor is it taken over from yet another namespace
      const other = inNamespace(TRY_OPEN, [dir, "run"]);
      const line = await firstLine(other);
      await other.status;
      await other.stderr.cancel();
      assertOk(line.startsWith("locked "), line);
    } finally {
      holder.kill("SIGKILL");
      await holder.status;
      await holder.stdout.cancel().catch(() => {});
      await holder.stderr.cancel();
    }
    // the namespace's processes are gone once the kernel has reaped them
    const { warnings } = await quietly(async () => {
      for (let attempt = 0;; attempt++) {
        try {
          using store = await Store.open(dir, "run");
          store.table("t").appendRow({ a: 2 });
          return;
        } catch (error) {
          if (!(error instanceof RunLockedError) || attempt > 100) throw error;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    });
    assertOk(
      warnings.some((w) => w.includes("took over the lock")),
      String(warnings),
    );
    using reader = await Store.open(dir, "run", { mode: "r" });
    assertEquals(reader.table("t").rows(), [{ a: 1 }, { a: 2 }]);
  },
});

Deno.test({
  name:
    "a writer here keeps its lock against a writer in another PID namespace",
  ignore: !unshare,
  async fn() {
    const dir = await Deno.makeTempDir();
    using store = await Store.open(dir, "run");
    store.addTable("t", { a: "int" }).appendRow({ a: 1 });
    store.flush();
    const other = inNamespace(TRY_OPEN, [dir, "run"]);
    const line = await firstLine(other);
    await other.status;
    await other.stderr.cancel();
    assertOk(
      line.startsWith("locked ") && line.includes(`process ${Deno.pid}`),
      line,
    );
  },
});

Deno.test("an empty or unreadable lock file held by no process is taken over", async () => {
  for (const content of ["", '{"pi', "\0\0\0"]) {
    const dir = await Deno.makeTempDir();
    (await Store.open(dir, "run")).close();
    Deno.writeTextFileSync(join(dir, "run", "store.h5.lock"), content);
    const { warnings } = await quietly(async () => {
      using store = await Store.open(dir, "run");
      store.addTable("t", { a: "int" }).appendRow({ a: 1 });
    });
    assertOk(
      warnings.some((w) => w.includes("empty or unreadable")),
      String(warnings),
    );
    assertEquals(
      Deno.readDirSync(join(dir, "run")).some((e) => e.name.endsWith(".lock")),
      false,
    );
  }
});

Deno.test("an empty lock file whose OS lock a live process holds is not taken over", async () => {
  const dir = await Deno.makeTempDir();
  (await Store.open(dir, "run")).close();
  const path = join(dir, "run", "store.h5.lock");
  Deno.writeTextFileSync(path, "");
  using file = Deno.openSync(path, { read: true });
  file.lockSync(true);
  await assertRejects(() => Store.open(dir, "run"), RunLockedError, path);
});

Deno.test("a lock file that is a symlink is refused, and its target left alone", async () => {
  const dir = await Deno.makeTempDir();
  (await Store.open(dir, "run")).close();
  const outside = join(dir, "outside.txt");
  Deno.writeTextFileSync(outside, "keep me");
  Deno.symlinkSync(outside, join(dir, "run", "store.h5.lock"));
  await assertRejects(
    () => Store.open(dir, "run"),
    RangeError,
    "symlink",
    "run",
  );
  assertEquals(Deno.readTextFileSync(outside), "keep me");
});

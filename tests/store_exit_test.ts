// Pending rows reach store.h5 when the process ends normally or by SIGINT/SIGTERM.
import { assertEquals } from "./assert.ts";
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

// mod.ts and cli.ts served over HTTP and used with no local config: a fresh
// DENO_DIR, a folder with no deno.json, --no-config.
import { extname, join, normalize } from "node:path";
import { assertEquals, assertOk } from "./assert.ts";
import { repack } from "./h5repack.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const TIMEOUT_MS = 180_000;

const TYPES: Record<string, string> = {
  ".ts": "application/typescript; charset=utf-8",
  ".js": "application/javascript; charset=utf-8",
  ".json": "application/json",
};

/** Serves the repository's files on 127.0.0.1 (a free port) until disposed. */
function serveRepository(): { url: string } & AsyncDisposable {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const path = normalize(decodeURIComponent(new URL(request.url).pathname));
      const file = join(ROOT, path);
      if (!file.startsWith(ROOT) || request.method !== "GET") {
        return new Response("not found", { status: 404 });
      }
      try {
        return new Response(await Deno.readFile(file), {
          headers: {
            "content-type": TYPES[extname(file)] ?? "application/octet-stream",
          },
        });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

async function deno(
  args: string[],
  cwd: string,
  denoDir: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { DENO_DIR: denoDir, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    stdin: "null",
    signal: AbortSignal.timeout(TIMEOUT_MS),
  }).output();
  const text = new TextDecoder();
  return {
    code: out.code,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
  };
}

Deno.test({
  name:
    "mod.ts imported by URL logs a run, and cli.ts run by URL lists it, with no local config",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using server = serveRepository();
    const work = await Deno.makeTempDir({ prefix: "cox-url-" });
    const denoDir = await Deno.makeTempDir({ prefix: "cox-deno-dir-" });
    try {
      const runs = join(work, "runs");
      await Deno.writeTextFile(
        join(work, "log.ts"),
        `import { Store } from "${server.url}/mod.ts";
using store = await Store.open(Deno.args[0], "lr-0.1");
store.addTable("metadata", { lr: "float", opt: "str" }).appendRow({ lr: 0.1, opt: "sgd" });
const log = store.addTable("log", { step: "int", loss: "float" });
for (let step = 0; step < 3; step++) log.appendRow({ step, loss: 1 / (step + 1) });
console.log("logged");
`,
      );
      const logged = await deno(
        ["run", "-A", "--no-config", "log.ts", runs],
        work,
        denoDir,
      );
      assertEquals(logged.code, 0, logged.stderr);
      assertEquals(logged.stdout, "logged\n");
      assertOk(Deno.statSync(join(runs, "lr-0.1", "store.h5")).isFile);
      // a copy whose log the fast reader hands to h5wasm's read Worker,
      // whose module is then loaded over HTTP too
      Deno.mkdirSync(join(runs, "nbit"));
      await repack(
        join(runs, "lr-0.1", "store.h5"),
        join(runs, "nbit", "store.h5"),
        "/log/table:NBIT",
      );

      const listed = await deno(
        ["run", "-A", "--no-config", `${server.url}/cli.ts`, "ls", runs],
        work,
        denoDir,
      );
      assertEquals(listed.code, 0, listed.stderr);
      assertOk(!listed.stderr.includes("not isolated"), listed.stderr);
      assertEquals(
        listed.stdout,
        "exp_id   lr  opt  #log  #metadata\n" +
          "lr-0.1  0.1  sgd     3          1\n" +
          "nbit    0.1  sgd     3          1\n",
      );
    } finally {
      await Deno.remove(work, { recursive: true });
      await Deno.remove(denoDir, { recursive: true });
    }
  },
});

Deno.test("mod.ts and cli.ts type-check without the project's config", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--no-config", "mod.ts", "cli.ts"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    signal: AbortSignal.timeout(TIMEOUT_MS),
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
});

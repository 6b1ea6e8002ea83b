/**
 * Spawning Debian's Python for interop tests.
 *
 * Debian's python3-pandas, python3-tables, python3-torch and python3-protobuf
 * serve /usr/bin/python3, which may not be the first python3 on PATH. An
 * interop test asks for the modules it needs: when they are missing it is
 * skipped, unless COX_INTEROP=1, in which case the run fails.
 */

const CANDIDATES = ["/usr/bin/python3", "python3"];
const found = new Map<string, string | null>();

async function runsWith(python: string, modules: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(python, {
      args: ["-c", modules.map((m) => `import ${m}`).join("; ") || "pass"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

/** The first interpreter that imports every module, or null. */
export async function findPython(modules: string[]): Promise<string | null> {
  const key = modules.join(",");
  if (!found.has(key)) {
    let hit: string | null = null;
    for (const candidate of CANDIDATES) {
      if (await runsWith(candidate, modules)) {
        hit = candidate;
        break;
      }
    }
    found.set(key, hit);
  }
  return found.get(key)!;
}

/** True when interop tests must run (CI), so that a missing module fails. */
export const interopRequired = Deno.env.get("COX_INTEROP") === "1";

/**
 * Finds a Python with `modules` for a test: returns null when the test should
 * be skipped, throws when COX_INTEROP=1 demands it.
 */
export async function requirePython(modules: string[]): Promise<string | null> {
  const python = await findPython(modules);
  if (python === null && interopRequired) {
    throw new Error(
      `COX_INTEROP=1 but no python3 can import ${modules.join(", ")}; ` +
        `install them with apt-get (python3-pandas, python3-tables, python3-torch, python3-protobuf)`,
    );
  }
  return python;
}

/** Whether tests needing `modules` are ignored (probed once at load time). */
export async function ignoreUnless(modules: string[]): Promise<boolean> {
  if (interopRequired) return false; // the test itself fails loudly
  return (await findPython(modules)) === null;
}

/** Runs a script from tests/interop/ with arguments; throws with its stderr on failure. */
export async function runPython(
  modules: string[],
  script: string,
  args: string[] = [],
  stdin?: string,
): Promise<string> {
  const python = await requirePython(modules);
  if (python === null) throw new Error(`no python3 with ${modules.join(", ")}`);
  const path = new URL(script, import.meta.url).pathname;
  const child = new Deno.Command(python, {
    args: [path, ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const stdout = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `${script} ${args.join(" ")} failed (${out.code}):\n${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  return stdout;
}

/**
 * Waits until the file at `path` exists (a marker a Python script creates
 * once it has reached a step), for at most 30 s.
 */
export async function untilFile(path: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      Deno.statSync(path);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${path} did not appear in 30 s`);
}

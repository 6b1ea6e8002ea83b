// Runs cli.ts as a user would, in a child process, and gives back what it printed.
import { join } from "node:path";

export const ROOT = new URL("../../", import.meta.url).pathname;
export const CLI = join(ROOT, "cli.ts");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string>;
  cwd?: string;
}

/** `deno run -A cli.ts ...args`, bounded to two minutes. */
export async function runCli(
  args: string[],
  options: CliOptions = {},
): Promise<CliResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    cwd: options.cwd ?? ROOT,
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const text = new TextDecoder();
  return {
    code: out.code,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
  };
}

/**
 * A folder holding an executable `tensorboard` that runs
 * tests/programs/fake_tensorboard.ts, to put first on PATH.
 */
export async function fakeTensorboardDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "cox-fake-tb-" });
  const script = join(dir, "tensorboard");
  const program = join(ROOT, "tests", "programs", "fake_tensorboard.ts");
  await Deno.writeTextFile(
    script,
    `#!/bin/sh\nexec '${Deno.execPath()}' run -A --no-config '${program}' "$@"\n`,
  );
  await Deno.chmod(script, 0o755);
  return dir;
}

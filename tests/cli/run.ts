// Runs cli.ts as a user would, in a child process, and gives back what it printed.
import { join } from "node:path";
import { ROOT, runDeno, type RunResult } from "../spawn.ts";

export { ROOT } from "../spawn.ts";
export const CLI = join(ROOT, "cli.ts");

export type CliResult = RunResult;

export interface CliOptions {
  env?: Record<string, string>;
  cwd?: string;
}

/** `deno run -A cli.ts ...args`, bounded to two minutes. */
export function runCli(
  args: string[],
  options: CliOptions = {},
): Promise<CliResult> {
  return runDeno(["run", "-A", CLI, ...args], options);
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

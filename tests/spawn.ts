// Runs a Deno program of the repository in a child process, as a user would.
export const ROOT = new URL("../", import.meta.url).pathname;

/** What a child process printed, and how it ended. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `deno <args>` in the repository (or `cwd`), bounded to two minutes. */
export async function runDeno(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<RunResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
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

/** The permissions the README gives for the library and the CLI (not `-A`). */
export const MINIMAL_PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys=hostname",
];

/** What `cox tensorboard` needs on top: starting `tensorboard`. */
export const TENSORBOARD_PERMISSIONS = [...MINIMAL_PERMISSIONS, "--allow-run"];

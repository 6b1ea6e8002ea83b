/**
 * Where the command line writes, and the errors it ends with.
 *
 * @module
 */

/** The command line's output streams (tests pass their own). */
export interface Io {
  /** Writes text to standard output. */
  out(text: string): void;
  /** Writes text to standard error. */
  err(text: string): void;
}

const encoder = new TextEncoder();

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string) {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
}

/** The process's stdout and stderr. */
export const processIo: Io = {
  out: (text) => writeAll(Deno.stdout, text),
  err: (text) => writeAll(Deno.stderr, text),
};

/** A mistake in the command line: printed with the command's usage, exit status 2. */
export class UsageError extends Error {
  /** The command whose usage to print (undefined: the general usage). */
  readonly command?: string;

  constructor(message: string, command?: string) {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}

/** A failure with a chosen exit status and no usage text. */
export class CliError extends Error {
  /** The exit status. */
  readonly status: number;

  constructor(message: string, status = 1) {
    super(message);
    this.name = "CliError";
    this.status = status;
  }
}

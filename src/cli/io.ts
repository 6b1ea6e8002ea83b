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

export { CliError, OptionError, UsageError } from "../sweep/errors.ts";

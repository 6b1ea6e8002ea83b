/**
 * Paths and folders as the command line needs them.
 *
 * @module
 */

import { CliError } from "./io.ts";

/** Whether `path` is a folder (following links). */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

/** Throws a {@link CliError} unless `path` is a folder. */
export async function requireDirectory(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new CliError(`No such folder: ${path}`);
    }
    throw new CliError(`Cannot read ${path}: ${(error as Error).message}`);
  }
  if (!info.isDirectory) throw new CliError(`Not a folder: ${path}`);
}

/**
 * Python's `os.path.join(a, b)` for a relative `b`: `a` kept as written, a
 * `/` added unless it ends with one.
 */
export function pyJoin(a: string, b: string): string {
  if (a === "") return b;
  return a.endsWith("/") ? `${a}${b}` : `${a}/${b}`;
}

/** An argument as a POSIX shell would need it written (quoted when it has to be). */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

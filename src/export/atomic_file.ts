/**
 * An output file that appears whole or not at all: written under a hidden
 * temporary name beside its final one, synced, then renamed over it.
 *
 * @module
 */

import { basename, dirname, join } from "../path.ts";

/** A file being written; `commit()` puts it in place, `abort()` removes it. */
export class AtomicFile {
  /** Where the file will be once committed. */
  readonly path: string;
  /** Where it is written until then. */
  readonly tempPath: string;
  readonly #file: Deno.FsFile;
  readonly #sync: boolean;
  #done = false;

  /**
   * Creates the folder if need be and opens the temporary file. With `sync`
   * (the default), `commit()` syncs the data before the rename, so that after
   * a crash the final name holds the whole new file or the old one.
   */
  constructor(path: string, options: { sync?: boolean } = {}) {
    this.path = path;
    this.#sync = options.sync ?? true;
    const dir = dirname(path);
    Deno.mkdirSync(dir, { recursive: true });
    const tag = `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
    // a leading "." keeps it out of the globs of DuckDB, Spark and Polars
    this.tempPath = join(dir, `.${basename(path)}.tmp-${tag}`);
    this.#file = Deno.openSync(this.tempPath, {
      write: true,
      createNew: true,
    });
  }

  /** Appends bytes. */
  write(bytes: Uint8Array): void {
    let rest = bytes;
    while (rest.length > 0) rest = rest.subarray(this.#file.writeSync(rest));
  }

  /** Syncs the file (unless told not to) and renames it to its final name. */
  commit(): void {
    if (this.#done) return;
    this.#done = true;
    try {
      if (this.#sync) this.#file.syncDataSync();
      this.#file.close();
      Deno.renameSync(this.tempPath, this.path);
    } catch (error) {
      removeQuietly(this.tempPath);
      throw new Error(
        `Cannot write ${this.path}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** Closes and removes the temporary file; the final name is left as it was. */
  abort(): void {
    if (this.#done) return;
    this.#done = true;
    try {
      this.#file.close();
    } catch {
      // already closed
    }
    removeQuietly(this.tempPath);
  }
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // already gone
  }
}

/**
 * Opening `store.h5` safely: a file that is empty, not HDF5, truncated or
 * damaged gets an error naming it instead of a crash.
 *
 * @module
 */

import { dirname, isAbsolute, relative, sep } from "../path.ts";
import {
  H5Api,
  type H5File,
  hdf5Reason,
  loadH5,
  noteTrap,
  trapReason,
} from "./h5wasm.ts";

import { FastFile } from "./fast/fast_file.ts";
import { H5External } from "./fast/source.ts";

export { loadH5 };

/** A `store.h5` that cannot be opened or read; names the file. */
export class StoreFileError extends Error {
  /** The file involved. */
  readonly path: string;
  /** An error about the store file at `path`. */
  constructor(path: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StoreFileError";
    this.path = path;
  }
}

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** Whether `bytes` hold the HDF5 signature at one of the offsets HDF5 looks at. */
function findSignature(path: string): boolean {
  const file = Deno.openSync(path, { read: true });
  try {
    const buf = new Uint8Array(8);
    for (const offset of [0, 512, 1024, 2048, 4096]) {
      file.seekSync(offset, Deno.SeekMode.Start);
      let got = 0;
      while (got < 8) {
        const n = file.readSync(buf.subarray(got));
        if (n === null) return false;
        got += n;
      }
      if (SIGNATURE.every((b, i) => buf[i] === b)) return true;
    }
    return false;
  } finally {
    file.close();
  }
}

/** Checks that `path` looks like HDF5 before h5wasm sees it; throws StoreFileError. */
export function checkHdf5(path: string): void {
  let size: number;
  try {
    size = Deno.statSync(path).size;
  } catch (error) {
    throw new StoreFileError(
      path,
      `Cannot open ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (size === 0) {
    throw new StoreFileError(
      path,
      `Cannot open ${path}: the file is empty, expected HDF5`,
    );
  }
  if (!findSignature(path)) {
    throw new StoreFileError(
      path,
      `Cannot open ${path}: not an HDF5 file (no HDF5 signature)`,
    );
  }
}

/**
 * Refuses a file that is a symlink resolving outside its own folder (or
 * dangling): a run folder must not make us read, create or truncate a file
 * elsewhere.
 */
export function checkNoEscape(path: string): void {
  let link: boolean;
  try {
    link = Deno.lstatSync(path).isSymlink;
  } catch {
    return; // absent: created in place, or refused by checkHdf5
  }
  if (!link) return;
  let real: string;
  try {
    real = Deno.realPathSync(path);
  } catch (error) {
    throw new StoreFileError(
      path,
      `Cannot open ${path}: it is a symlink to nothing`,
      { cause: error },
    );
  }
  const rel = relative(Deno.realPathSync(dirname(path)), real);
  if (rel === "" || rel.split(sep)[0] === ".." || isAbsolute(rel)) {
    throw new StoreFileError(
      path,
      `Cannot open ${path}: it is a symlink to ${real}, outside its folder`,
    );
  }
}

/** The error for a store that names other files. */
export function externalError(path: string, error: Error): StoreFileError {
  return new StoreFileError(
    path,
    `Cannot use ${path}: ${error.message}; a run's store.h5 must not name other files`,
    { cause: error },
  );
}

/**
 * Throws a StoreFileError when `path` holds anything that names another
 * file (external raw storage, an external link, a virtual dataset), which
 * HDF5 would follow, reading or writing another file: called before HDF5
 * opens a file. A file the fast reader cannot walk is left to HDF5's own
 * checks.
 */
export function checkSelfContained(path: string): void {
  let file: FastFile;
  try {
    file = FastFile.open(path);
  } catch {
    return;
  }
  try {
    file.walk();
  } catch (error) {
    if (error instanceof H5External) throw externalError(path, error);
  } finally {
    file.close();
  }
}

/** Throws a StoreFileError naming `path` when HDF5 crashed earlier in this process. */
export function checkHdf5Usable(path: string): void {
  const trapped = trapReason();
  if (trapped !== null) {
    throw new StoreFileError(
      path,
      `Cannot open ${path}: HDF5 crashed earlier in this process (${trapped}); ` +
        `its memory may be corrupt, so no HDF5 file is opened again until the process restarts`,
    );
  }
}

/**
 * Opens an HDF5 file: `"r"` read-only, `"a"` read-write (the file must
 * exist), `"w"` created afresh. Call after `loadH5()`.
 */
export function openHdf5(path: string, mode: "r" | "a" | "w"): H5File {
  checkHdf5Usable(path);
  checkNoEscape(path);
  if (mode !== "w") {
    checkHdf5(path);
    checkSelfContained(path);
  }
  try {
    return new H5Api.File(path, mode);
  } catch (error) {
    noteTrap(path, error);
    throw new StoreFileError(
      path,
      `Cannot open ${path}: ${
        hdf5Reason(error)
      } (the file is damaged or not a store)`,
      { cause: error },
    );
  }
}

/** How `withHdf5` treats the file afterwards. */
export interface WithOptions {
  /**
   * Throw when closing the file fails (HDF5 writes what it cached at close:
   * a failure there means the file is incomplete).
   */
  strictClose?: boolean;
}

/**
 * What an error thrown while using the store file at `path` becomes: a
 * StoreFileError, TypeError or RangeError as it is, anything else (HDF5's
 * own) a StoreFileError naming the file with HDF5's most specific reason.
 */
export function usingError(path: string, error: unknown): unknown {
  if (
    error instanceof StoreFileError || error instanceof TypeError ||
    error instanceof RangeError
  ) return error;
  return new StoreFileError(path, `Cannot use ${path}: ${hdf5Reason(error)}`, {
    cause: error,
  });
}

/** Runs `body` on the open file and closes it whatever happens. */
export function withHdf5<T>(
  path: string,
  mode: "r" | "a" | "w",
  body: (file: H5File) => T,
  options: WithOptions = {},
): T {
  const file = openHdf5(path, mode);
  let ok = false;
  try {
    const value = body(file);
    ok = true;
    return value;
  } catch (error) {
    noteTrap(path, error);
    throw usingError(path, error);
  } finally {
    try {
      file.close();
    } catch (error) {
      noteTrap(path, error);
      // unless asked, the file is already unusable and the error above says why
      if (ok && options.strictClose) {
        // deno-lint-ignore no-unsafe-finally
        throw new StoreFileError(
          path,
          `Cannot finish writing ${path}: ${hdf5Reason(error)}`,
          { cause: error },
        );
      }
    }
  }
}

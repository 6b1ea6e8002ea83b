/**
 * Opening files inside a run folder so that nothing resolves outside it: a
 * run folder may come from anyone (a shared NFS sweep, a downloaded
 * artifact), and a symlink in it (`store.h5.journal`, `.table_objects/`,
 * `tensorboard/`, an object file) must not make us read another project's
 * file, or create or truncate one.
 *
 * Every folder on the way from the run to the file is checked by its real
 * path; the file itself may be a symlink only when read, and only to a file
 * inside the run; a file is never written through a symlink. After opening,
 * the open file is checked to be the one that was checked (same device and
 * inode), so that a symlink swapped in between is caught too. The run
 * folder itself may be a symlink (gathering runs by links is legitimate):
 * "inside" means inside its real path.
 *
 * @module
 */

import { dirname, isAbsolute, join, relative, resolve, sep } from "../path.ts";

/** A path inside a run that resolves outside it (or is a symlink where none may be). */
export class OutsideRunError extends RangeError {
  /** The run folder. */
  readonly run: string;
  /** The path that was refused. */
  readonly path: string;
  constructor(run: string, path: string, why: string) {
    super(`Cannot open ${path} of run ${run}: ${why}`);
    this.name = "OutsideRunError";
    this.run = run;
    this.path = path;
  }
}

function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" ||
    (!isAbsolute(rel) && rel !== ".." && !rel.startsWith(`..${sep}`));
}

function lstat(path: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** What a file is opened for: reading follows a symlink that stays inside the run; writing follows none. */
export type Access = "read" | "write";

/**
 * Checks that `path` (inside `run`) resolves inside the run: each folder
 * on the way by its real path, and the file as `access` allows. A part of
 * the path that does not exist yet is fine (it will be made inside the
 * checked folder). Throws {@link OutsideRunError}.
 */
export function checkInsideRun(
  run: string,
  path: string,
  access: Access,
): void {
  const root = resolve(run);
  const target = resolve(path);
  if (!isWithin(root, target)) {
    throw new OutsideRunError(run, path, "it is not inside the run folder");
  }
  let realRoot: string;
  try {
    realRoot = Deno.realPathSync(root);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return; // nothing exists yet
    throw error;
  }
  const parts = relative(root, target).split(sep).filter((p) => p !== "");
  let at = root;
  for (const [i, part] of parts.entries()) {
    at = join(at, part);
    const info = lstat(at);
    if (info === null) return; // the rest is created inside what was checked
    const last = i === parts.length - 1;
    if (info.isSymlink) {
      if (last && access === "write") {
        throw new OutsideRunError(
          run,
          path,
          "it is a symlink, and a run's files are never written through one",
        );
      }
      let real: string;
      try {
        real = Deno.realPathSync(at);
      } catch {
        throw new OutsideRunError(run, path, `${at} is a symlink to nothing`);
      }
      if (!isWithin(realRoot, real)) {
        throw new OutsideRunError(
          run,
          path,
          `${at} is a symlink to ${real}, outside the run`,
        );
      }
    } else if (!last && !info.isDirectory) {
      throw new OutsideRunError(run, path, `${at} is not a folder`);
    }
  }
}

/** Makes the folder `path` inside `run` (and its parents), refusing any that resolves outside. */
export function makeDirInsideRun(run: string, path: string): void {
  checkInsideRun(run, path, "read");
  Deno.mkdirSync(path, { recursive: true });
  // a folder swapped for a symlink while it was made
  checkInsideRun(run, path, "read");
}

/**
 * Opens `path` inside `run` (see {@link checkInsideRun}; `write`, `create`,
 * `truncate` or `append` make it a write), then checks that the file opened
 * is the one checked.
 */
export function openInsideRun(
  run: string,
  path: string,
  options: Deno.OpenOptions,
): Deno.FsFile {
  const writes = !!(options.write || options.append || options.create ||
    options.createNew || options.truncate);
  checkInsideRun(run, path, writes ? "write" : "read");
  const file = Deno.openSync(path, options);
  try {
    const opened = file.statSync();
    const checked = Deno.statSync(path);
    checkInsideRun(run, path, writes ? "write" : "read");
    if (
      opened.ino !== null && (opened.ino !== checked.ino ||
        opened.dev !== checked.dev)
    ) {
      throw new OutsideRunError(
        run,
        path,
        "the file changed while it was opened",
      );
    }
    return file;
  } catch (error) {
    file.close();
    throw error;
  }
}

/** Reads `path` inside `run` (a symlink is followed only to a file inside the run). */
export function readInsideRun(run: string, path: string): Uint8Array {
  using file = openInsideRun(run, path, { read: true });
  const size = file.statSync().size;
  const out = new Uint8Array(size);
  let got = 0;
  while (got < size) {
    const n = file.readSync(out.subarray(got));
    if (n === null) break;
    got += n;
  }
  return got === size ? out : out.slice(0, got);
}

/** Writes `data` to a new file `path` inside `run` (never through a symlink). */
export function writeNewInsideRun(
  run: string,
  path: string,
  data: Uint8Array,
): void {
  using file = openInsideRun(run, path, { write: true, createNew: true });
  let written = 0;
  while (written < data.length) {
    written += file.writeSync(data.subarray(written));
  }
}

/** The run folder of a file directly inside it (`store.h5.journal`, `store.h5.lock`). */
export function runOf(path: string): string {
  return dirname(path);
}

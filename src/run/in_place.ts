/**
 * Updating `store.h5` in place, crash-safe in the way of SQLite's rollback
 * journal (see `docs/store.md`):
 *
 * 0. The file's `flock` is held shared throughout (a writer that takes
 *    HDF5's lock, as Python cox does, cannot open it meanwhile).
 * 1. HDF5 works on the file with its I/O routed: writes past the file's old
 *    end go straight to the file (nothing refers to them yet), writes over
 *    bytes the file already held are kept in memory, as are the file's
 *    truncations below its old end.
 * 2. Once HDF5 has closed the file, the old bytes of every range it changed
 *    go to the undo log (`store.h5.undo`), which is synced.
 * 3. Under an exclusive lock on `store.h5` (the `flock` HDF5 1.10+ takes
 *    shared when pandas opens a file), the file is checked to be the one
 *    HDF5 read (its length, the bytes read: `ReadWitness`), else nothing is
 *    written (`ConcurrentChangeError`); the changed ranges are written; the
 *    file is synced; the undo log is emptied and synced.
 *
 * A process killed anywhere leaves either no valid undo log (the file is the
 * old one, maybe with unreferenced bytes at its end) or a valid one, which
 * the next writer applies (`rollBack`) and readers apply in memory
 * (`withStoreForReading`); the row journal then still holds the batches.
 *
 * @module
 */

import { dirname } from "../path.ts";
import type { H5File } from "../h5/h5wasm.ts";
import { pagedWrite, routeFile } from "../h5/file_routes.ts";
import { StoreFileError, withHdf5 } from "../h5/store_file.ts";
import { lendHandle } from "../h5/fast/source.ts";
import { syncDir } from "./fs_sync.ts";
import { crc32c } from "../tensorboard/crc32c.ts";
import {
  encodeUndo,
  patchFromUndo,
  readUndo,
  type UndoLog,
  type UndoRecord,
  undoRecord,
} from "./undo_log.ts";

/** The undo log beside a store file. */
export const UNDO_SUFFIX = ".undo";

/** `store.h5` is open in another process that holds its HDF5 file lock. */
export class StoreBusyError extends StoreFileError {
  constructor(path: string, message: string) {
    super(path, message);
    this.name = "StoreBusyError";
  }
}

/**
 * Another process (Python cox, pandas) wrote to `store.h5` while we were
 * bringing it up to date: our update is not written, the file keeps what
 * the other writer put in it.
 */
export class ConcurrentChangeError extends StoreFileError {
  constructor(path: string, message: string) {
    super(path, message);
    this.name = "ConcurrentChangeError";
  }
}

const PAGE = 4096;

/** Reads longer than this (raw chunks) are not witnessed (see `ReadWitness`). */
const WITNESS_MAX_READ = 64 << 10;

/**
 * The bytes of a file that an update based itself on: every range HDF5 (or
 * the update) read below `limit`, with its CRC32C. Before anything is
 * written they are read again: a range that changed means another process
 * wrote to the file meanwhile. Reads above `WITNESS_MAX_READ` are HDF5
 * reading raw chunks and are not kept: another
 * writer's append changes metadata we read as well (the superblock's end of
 * file when it allocates, the table's header and `NROWS`). The old bytes of
 * the ranges an update writes over are compared too (`expect`). Memory: a
 * few numbers per distinct range read; checking costs those bytes
 * (metadata, changed ranges: a few KiB) once more.
 */
export class ReadWitness {
  readonly #limit: number;
  readonly #ranges = new Map<string, [number, number, number]>();
  readonly #known: [number, Uint8Array][] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Notes bytes read from the file at `position`. */
  record(position: number, bytes: Uint8Array): void {
    if (bytes.length > WITNESS_MAX_READ) return;
    const n = Math.min(bytes.length, this.#limit - position);
    if (n <= 0) return;
    const key = `${position}:${n}`;
    if (!this.#ranges.has(key)) {
      this.#ranges.set(key, [position, n, crc32c(bytes, 0, n)]);
    }
  }

  /** Notes bytes the file holds at `position`, kept (not copied) and compared as they are. */
  expect(position: number, bytes: Uint8Array): void {
    this.#known.push([position, bytes]);
  }

  /** The first range whose bytes are no longer those read, as [offset, length]; null when none. */
  changed(file: Deno.FsFile): [number, number] | null {
    let buffer = new Uint8Array(0);
    for (const [position, bytes] of this.#known) {
      if (buffer.length < bytes.length) buffer = new Uint8Array(bytes.length);
      const now = buffer.subarray(0, bytes.length);
      readAt(file, position, now);
      for (let i = 0; i < bytes.length; i++) {
        if (now[i] !== bytes[i]) return [position, bytes.length];
      }
    }
    // ranges close together are read in one go
    const ranges = [...this.#ranges.values()].sort((a, b) => a[0] - b[0]);
    for (let i = 0; i < ranges.length;) {
      const from = ranges[i][0];
      let to = from + ranges[i][1];
      let j = i + 1;
      while (j < ranges.length && ranges[j][0] <= to + PAGE) {
        to = Math.max(to, ranges[j][0] + ranges[j][1]);
        j++;
      }
      const span = new Uint8Array(to - from);
      readAt(file, from, span);
      for (; i < j; i++) {
        const [position, n, crc] = ranges[i];
        if (crc32c(span, position - from, position - from + n) !== crc) {
          return [position, n];
        }
      }
    }
    return null;
  }
}

/** Changed ranges closer than this are written (and saved) as one. */
const MERGE_GAP = 512;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Takes a `flock` on `file`, retrying for up to `waitMs`; false when still held by another. */
export function lockWithin(
  file: Deno.FsFile,
  exclusive: boolean,
  waitMs: number,
): boolean {
  const until = performance.now() + waitMs;
  for (let pause = 1;; pause = Math.min(pause * 2, 20)) {
    if (file.tryLockSync(exclusive)) return true;
    if (performance.now() >= until) return false;
    sleepSync(pause);
  }
}

function readAt(file: Deno.FsFile, position: number, out: Uint8Array): void {
  file.seekSync(position, Deno.SeekMode.Start);
  let got = 0;
  while (got < out.length) {
    const n = file.readSync(out.subarray(got));
    if (n === null) break; // past the end: zeros, as HDF5 would see
    got += n;
  }
  out.fill(0, got);
}

/** Writes `bytes` at `position`, a page at a time (see `pagedWrite`). */
function writeAt(file: Deno.FsFile, position: number, bytes: Uint8Array): void {
  file.seekSync(position, Deno.SeekMode.Start);
  let done = 0;
  while (done < bytes.length) {
    done += pagedWrite(
      bytes.length - done,
      position + done,
      (from, n) => file.writeSync(bytes.subarray(done + from, done + from + n)),
    );
  }
}

/** Writes over the file's old bytes, held in memory page by page. */
class Overlay {
  readonly #file: Deno.FsFile;
  readonly #size: number;
  /** Page number to [old bytes, new bytes] (a page is cut at the old end of the file). */
  readonly pages = new Map<number, [Uint8Array, Uint8Array]>();

  constructor(file: Deno.FsFile, size: number) {
    this.#file = file;
    this.#size = size;
  }

  #page(index: number): [Uint8Array, Uint8Array] {
    let page = this.pages.get(index);
    if (page === undefined) {
      const start = index * PAGE;
      const old = new Uint8Array(Math.min(PAGE, this.#size - start));
      readAt(this.#file, start, old);
      page = [old, old.slice()];
      this.pages.set(index, page);
    }
    return page;
  }

  /** Takes bytes at `position` (all below the old end). */
  write(position: number, bytes: Uint8Array): void {
    let o = 0;
    while (o < bytes.length) {
      const at = position + o;
      const index = Math.floor(at / PAGE);
      const [, now] = this.#page(index);
      const within = at - index * PAGE;
      const n = Math.min(bytes.length - o, now.length - within);
      now.set(bytes.subarray(o, o + n), within);
      o += n;
    }
  }

  /** Puts the held bytes into what HDF5 just read at `position`. */
  patch(position: number, bytes: Uint8Array): void {
    const end = Math.min(position + bytes.length, this.#size);
    for (
      let index = Math.floor(position / PAGE);
      index * PAGE < end;
      index++
    ) {
      const page = this.pages.get(index);
      if (page === undefined) continue;
      const start = index * PAGE;
      const from = Math.max(position, start);
      const to = Math.min(end, start + page[1].length);
      if (from < to) {
        bytes.set(
          page[1].subarray(from - start, to - start),
          from - position,
        );
      }
    }
  }

  /** The ranges that differ, as [offset, old, new], in file order. */
  changes(): [number, Uint8Array, Uint8Array][] {
    const out: [number, Uint8Array, Uint8Array][] = [];
    const indexes = [...this.pages.keys()].sort((a, b) => a - b);
    let runStart = -1;
    let runEnd = -1;
    const flush = () => {
      if (runStart < 0) return;
      const old = new Uint8Array(runEnd - runStart);
      const now = new Uint8Array(runEnd - runStart);
      for (let i = runStart; i < runEnd;) {
        const index = Math.floor(i / PAGE);
        const [o, n] = this.pages.get(index)!;
        const within = i - index * PAGE;
        const k = Math.min(runEnd - i, o.length - within);
        old.set(o.subarray(within, within + k), i - runStart);
        now.set(n.subarray(within, within + k), i - runStart);
        i += k;
      }
      out.push([runStart, old, now]);
      runStart = runEnd = -1;
    };
    for (const index of indexes) {
      const [old, now] = this.pages.get(index)!;
      const base = index * PAGE;
      for (let i = 0; i < old.length; i++) {
        if (old[i] === now[i]) continue;
        const at = base + i;
        // runs closer than MERGE_GAP are merged: fewer writes and records
        if (runStart >= 0 && at - runEnd > MERGE_GAP) flush();
        if (runStart < 0) runStart = at;
        runEnd = at + 1;
      }
      // a run continues across pages only when they are adjacent
      if (runStart >= 0 && !this.pages.has(index + 1)) flush();
    }
    flush();
    return out;
  }
}

function sizeOf(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0;
  }
}

function truncateSynced(path: string): void {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { write: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  try {
    file.truncateSync(0);
    file.syncDataSync();
  } finally {
    file.close();
  }
}

/** Puts the bytes an undo log saved back into an open file, syncs, then empties the log. */
function applyUndo(
  file: Deno.FsFile,
  undoPath: string,
  log: UndoLog,
): void {
  for (const r of log.records) {
    writeAt(file, r.offset, r.bytes ?? new Uint8Array(r.length));
  }
  file.truncateSync(log.size);
  file.syncDataSync();
  truncateSynced(undoPath);
}

/**
 * Rolls `storePath` back to the state its undo log saved, when a valid one
 * is there (an update was interrupted). Returns whether it did. Only the
 * run's writer calls this.
 */
export function rollBack(storePath: string): boolean {
  const undoPath = storePath + UNDO_SUFFIX;
  const log = readUndo(undoPath);
  if (log === null) {
    // an incomplete log never had its update started: drop it
    if (sizeOf(undoPath) > 0) truncateSynced(undoPath);
    return false;
  }
  const file = Deno.openSync(storePath, { read: true, write: true });
  try {
    applyUndo(file, undoPath, log);
  } finally {
    file.close();
  }
  return true;
}

/** How long an update waits for readers (pandas, ours) to let go of `store.h5`. */
export interface UpdateOptions {
  /** Longest wait for the exclusive lock, in ms (default 200). */
  lockWaitMs?: number;
  /**
   * Bytes per write of what HDF5 writes past the file's old end (default
   * a page, see `pagedWrite`); a bulk append's whole chunks take larger
   * pieces, fewer system calls.
   */
  appendPiece?: number;
}

/** What an in-place update wrote, for accounting. */
export interface UpdateStats {
  /** Bytes written past the file's old end. */
  appended: number;
  /** Bytes written over the file's old bytes. */
  overwritten: number;
  /** Bytes written to the undo log. */
  undo: number;
}

let lastStats: UpdateStats = { appended: 0, overwritten: 0, undo: 0 };

/** What the last in-place update in this process wrote. */
export function lastUpdateStats(): UpdateStats {
  return { ...lastStats };
}

/**
 * Runs `body` on `storePath` open for writing, and makes its changes
 * durable in place, crash-safe (see the module's comment). Any failure (in
 * `body`, in HDF5's close, a write, a sync, a full disk) leaves the file as
 * it was and throws; a `StoreBusyError` when another process holds the file
 * open.
 */
export function updateInPlace<T>(
  storePath: string,
  body: (file: H5File) => T,
  options: UpdateOptions = {},
): T {
  const undoPath = storePath + UNDO_SUFFIX;
  rollBack(storePath);
  const file = Deno.openSync(storePath, { read: true, write: true });
  try {
    // another process with the file open (a Python writer, a pandas reader)
    // holds HDF5's lock: leave the file alone until it lets go. Then hold it
    // shared for the whole update: readers may open the file, a writer that
    // takes HDF5's lock (Python cox) cannot, so it never appends while our
    // new bytes go past the file's end
    if (!lockWithin(file, true, 0) || !file.tryLockSync(false)) {
      throw busy(storePath);
    }
    const stat = file.statSync();
    const size = stat.size;
    // what the update read, checked again before it writes over anything:
    // a writer that does not lock (HDF5_USE_FILE_LOCKING=FALSE), or one that
    // slips in while the lock is made exclusive, is noticed
    const witness = new ReadWitness(size);
    const overlay = new Overlay(file, size);
    // the file's length on disk, as our writes and truncations past the old end leave it
    let diskEnd = size;
    // the file's length as HDF5 sees it: a held truncation below the old
    // end moves it down, and later writes move it up again (a file left with
    // unreferenced bytes at its end by a dead writer is cut, then regrown)
    let hdf5End = size;
    let appended = 0;
    const unroute = routeFile(storePath, {
      write(position, bytes) {
        hdf5End = Math.max(hdf5End, position + bytes.length);
        if (position >= size) {
          appended += bytes.length;
          diskEnd = Math.max(diskEnd, position + bytes.length);
          return false;
        }
        const below = Math.min(bytes.length, size - position);
        overlay.write(position, bytes.subarray(0, below));
        if (below < bytes.length) {
          writeAt(file, size, bytes.slice(below)); // a copy: Deno writes no wasm memory
          appended += bytes.length - below;
          diskEnd = Math.max(diskEnd, position + bytes.length);
        }
        return true;
      },
      read(position, bytes) {
        witness.record(position, bytes); // as on disk, before our changes
        overlay.patch(position, bytes);
      },
      truncate(length) {
        hdf5End = length;
        if (length < size) return true;
        diskEnd = length;
        return false;
      },
      piece: options.appendPiece,
    });
    let value: T;
    try {
      value = withHdf5(storePath, "a", body, { strictClose: true });
    } catch (error) {
      unroute();
      // nothing below the old end was touched: drop what went past it
      try {
        file.truncateSync(size);
      } catch {
        // unreferenced bytes at the end harm no reader
      }
      throw error;
    }
    unroute();
    const shrinkTo = hdf5End < size ? hdf5End : null;
    const changes = overlay.changes();
    // the bytes we write over must still be those we changed
    for (const [offset, old] of changes) witness.expect(offset, old);
    const records: UndoRecord[] = changes.map(([offset, old]) =>
      undoRecord(offset, old)
    );
    if (shrinkTo !== null) {
      const old = new Uint8Array(size - shrinkTo);
      readAt(file, shrinkTo, old);
      records.push(undoRecord(shrinkTo, old));
    }
    const log: UndoLog = { size, records };
    try {
      writeUndo(undoPath, log);
    } catch (error) {
      try {
        file.truncateSync(size);
      } catch {
        // as above
      }
      throw new StoreFileError(
        storePath,
        `Cannot update ${storePath}: writing its undo log ${undoPath} failed: ${
          (error as Error).message
        }`,
        { cause: error },
      );
    }
    // the in-place writes under the exclusive lock: no reader that takes
    // HDF5's lock opens the file while they are half done
    if (!lockWithin(file, true, options.lockWaitMs ?? 200)) {
      truncateSynced(undoPath); // the file below its old end is untouched
      throw busy(storePath);
    }
    const change = changedSince(storePath, file, stat, diskEnd, witness);
    if (change !== null) {
      // written by another process meanwhile: leave its bytes alone (ours
      // past the old end are referenced by nothing)
      truncateSynced(undoPath);
      throw new ConcurrentChangeError(
        storePath,
        `another process wrote to ${storePath} while we were updating it (${change}); our update was not written`,
      );
    }
    try {
      let overwritten = 0;
      for (const [offset, , now] of changes) {
        writeAt(file, offset, now);
        overwritten += now.length;
      }
      if (shrinkTo !== null) file.truncateSync(shrinkTo);
      file.unlockSync();
      file.syncDataSync();
      truncateSynced(undoPath);
      lastStats = {
        appended,
        overwritten,
        undo: encodedSize(log),
      };
    } catch (error) {
      // put the old bytes back now if we can; if not, the next writer does
      try {
        applyUndo(file, undoPath, log);
      } catch {
        // the undo log stays valid: readers and the next writer apply it
      }
      throw new StoreFileError(
        storePath,
        `Cannot update ${storePath}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return value;
  } finally {
    file.close(); // releases the lock
  }
}

/**
 * What shows that another process wrote to the file open as `file` since
 * `before` was taken, when all we changed on disk is its length (to
 * `diskEnd`): the path names another file, the length differs, or bytes
 * read meanwhile (`witness`) differ. Null when nothing does.
 */
export function changedSince(
  path: string,
  file: Deno.FsFile,
  before: Deno.FileInfo,
  diskEnd: number,
  witness: ReadWitness,
): string | null {
  let now: Deno.FileInfo;
  try {
    now = Deno.statSync(path);
  } catch (error) {
    return `it is gone: ${(error as Error).message}`;
  }
  if (now.ino !== before.ino || now.dev !== before.dev) {
    return "another file was put in its place";
  }
  const size = file.statSync().size;
  if (size !== diskEnd) return `its length is ${size}, not ${diskEnd}`;
  const range = witness.changed(file);
  if (range !== null) {
    return `its ${range[1]} bytes at offset ${range[0]} changed`;
  }
  return null;
}

/** The error for a store another process has open. */
export function busy(storePath: string): StoreBusyError {
  return new StoreBusyError(
    storePath,
    `Cannot update ${storePath} now: another process has it open ` +
      `(it holds HDF5's file lock, as pandas and PyTables do while a file is open)`,
  );
}

function encodedSize(log: UndoLog): number {
  return log.records.reduce((n, r) => n + 13 + (r.bytes?.length ?? 0), 24);
}

const undoDirsSynced = new Set<string>();

function writeUndo(path: string, log: UndoLog): void {
  const bytes = encodeUndo(log);
  const file = Deno.openSync(path, { write: true, create: true });
  try {
    writeAt(file, 0, bytes);
    file.truncateSync(bytes.length);
    file.syncDataSync();
  } finally {
    file.close();
  }
  // a log just made counts after a crash only once its folder's entry is synced
  if (!undoDirsSynced.has(path)) {
    syncDir(dirname(path));
    undoDirsSynced.add(path);
  }
}

/**
 * Runs `body` while holding a shared lock on `storePath` (waiting up to
 * `waitMs`), so that no in-place update's writes are under way: any reader
 * of `store.h5`, ours or h5wasm's, reads inside it.
 */
export function underReadLock<T>(
  storePath: string,
  body: () => T,
  waitMs = 1000,
): T {
  let file: Deno.FsFile | null = null;
  try {
    file = Deno.openSync(storePath, { read: true });
  } catch {
    // absent or unreadable: the reader says why
  }
  try {
    // a writer holds the lock for milliseconds; Python writing holds it for
    // its whole session, when reading without it is all there is
    if (file === null) return body();
    lockWithin(file, false, waitMs);
    // the fast reader reads through this handle rather than open the file again
    const unlend = lendHandle(storePath, file, 0);
    try {
      return body();
    } finally {
      unlend();
    }
  } finally {
    file?.close();
  }
}

/**
 * Runs `body` on `storePath` open read-only, as the last consistent state:
 * under a shared lock (so no update's writes are under way), and, when an
 * update was interrupted (a valid undo log), with the saved bytes read in
 * place of the changed ones. Writes nothing.
 */
export function withStoreForReading<T>(
  storePath: string,
  body: (file: H5File) => T,
  waitMs = 1000,
): T {
  return underReadLock(storePath, () => {
    const log = readUndo(storePath + UNDO_SUFFIX);
    if (log === null) return withHdf5(storePath, "r", body);
    const unroute = routeFile(storePath, {
      read: (position, bytes) => patchFromUndo(log, position, bytes),
    });
    try {
      return withHdf5(storePath, "r", body);
    } finally {
      unroute();
    }
  }, waitMs);
}

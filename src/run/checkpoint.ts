/**
 * Bringing `store.h5` up to date with journal batches. Appends are made in
 * place, crash-safe through an undo log (`in_place.ts`): a batch costs about
 * its own bytes, whatever the file's size. Only a change of layout (a
 * string column widened) rebuilds the file: the new state is written to a
 * file beside it, closed, checked, synced and renamed over it, so that a
 * process killed, or a disk filling up, at any step leaves the old
 * `store.h5` whole.
 *
 * @module
 */

import { basename, dirname, join } from "../path.ts";
import {
  appendRows,
  appendRowsWith,
  type Cell,
  createFrameTable,
  decodeRows,
  describeFrameTable,
  encodeRows,
  exists,
  type FrameTable,
  readColumns,
  type RowLayout,
  widthsExceeded,
} from "../h5/frame_table.ts";
import type { H5File } from "../h5/h5wasm.ts";
import { columnNames, columnsOf, reorder, sameLayout } from "../h5/layout.ts";
import { AttributeReader } from "../h5/attributes.ts";
import { copyObjects } from "../h5/copy.ts";
import { attributeNames, copyAttribute } from "../h5/h5wasm.ts";
import { StoreFileError, withHdf5 } from "../h5/store_file.ts";
import { routeFile } from "../h5/file_routes.ts";
import {
  busy,
  changedSince,
  ConcurrentChangeError,
  lockWithin,
  ReadWitness,
  rollBack,
  StoreBusyError,
  updateInPlace,
} from "./in_place.ts";
import { readRows } from "../h5/h5wasm.ts";
import { warn } from "../warn.ts";
import type { JournalBatch } from "./journal.ts";
import { syncDir, syncFile } from "./fs_sync.ts";
import type { PyValue } from "../pickle/values.ts";
import type { Schema } from "../schema.ts";
import { COX_DATA } from "./run_files.ts";

/** What a checkpoint needs to know beyond the batches. */
export interface CheckpointOptions {
  /** cox's COX_DATA value for a table (for tables the batches create). */
  coxData(name: string, schema: Schema): PyValue;
  /** Rows per HDF5 chunk for a table created with `firstBatch` rows. */
  chunkRows(schema: Schema, firstBatch: number): number;
}

/** The tables whose rows need more room than their columns on disk have. */
function tablesToRebuild(file: H5File, batches: JournalBatch[]): Set<string> {
  const seen = new Map<string, FrameTable>();
  const out = new Set<string>();
  for (const batch of batches) {
    if (!seen.has(batch.table) && !exists(file, `/${batch.table}`)) continue;
    let layout = seen.get(batch.table);
    if (layout === undefined) {
      layout = describeFrameTable(file, batch.table);
      seen.set(batch.table, layout);
    }
    if (!sameLayout(layout, batch.layout) && !fits(batch.layout, layout)) {
      out.add(batch.table);
    }
  }
  return out;
}

/** Whether rows of layout `from` can be re-encoded into `to` (same columns, wide enough). */
function fits(from: RowLayout, to: RowLayout): boolean {
  return from.columns.length === to.columns.length &&
    from.columns.every((c) => {
      const d = to.columns.find((x) => x.name === c.name);
      return d !== undefined && d.kind === c.kind &&
        (c.kind !== "str" || d.size >= c.size);
    });
}

function order(cells: Cell[][], from: RowLayout, to: RowLayout): Cell[][] {
  return reorder(cells, columnNames(from), columnNames(to));
}

/** The columns to create a table with: as wide as the widest of its batches asks. */
function widestColumns(
  table: string,
  batches: JournalBatch[],
): ReturnType<typeof columnsOf> {
  const mine = batches.filter((b) => b.table === table);
  return columnsOf(mine[0].layout).map((column) => {
    if (column.kind !== "str") return column;
    const widths = mine.map((b) =>
      b.layout.columns.find((c) => c.name === column.name)?.size ?? 0
    );
    return { ...column, width: Math.max(column.width ?? 1, ...widths) };
  });
}

/** Appends the batches to an open file; batches already in it are skipped. */
function applyBatches(
  file: H5File,
  batches: JournalBatch[],
  options: CheckpointOptions,
  seen?: Map<string, number>,
): Map<string, FrameTable> {
  const layouts = new Map<string, FrameTable>();
  const shifts = new Map<string, number>();
  for (const batch of batches) {
    let layout = layouts.get(batch.table);
    if (layout === undefined) {
      if (exists(file, `/${batch.table}`)) {
        layout = describeFrameTable(file, batch.table);
        if (!seen?.has(batch.table)) seen?.set(batch.table, layout.nrows);
      } else {
        if (!seen?.has(batch.table)) seen?.set(batch.table, 0);
        if (batch.start !== 0) {
          throw new StoreFileError(
            file.filename,
            `Cannot apply the journal to ${file.filename}: table "${batch.table}" is missing but the journal ` +
              `continues it from row ${batch.start}`,
          );
        }
        layout = createFrameTable(
          file,
          batch.table,
          widestColumns(batch.table, batches),
          { [COX_DATA]: options.coxData(batch.table, batch.schema) },
          options.chunkRows(batch.schema, batch.count),
        );
      }
      layouts.set(batch.table, layout);
    }
    let start = batch.start + (shifts.get(batch.table) ?? 0);
    if (
      start + batch.count <= layout.nrows &&
      holdsBatch(file, layout, batch, start)
    ) continue; // in the file already
    if (start !== layout.nrows) {
      // another writer (Python cox) changed the table since this batch was
      // journaled: ours go after what is there, never over it
      warnOvertaken(
        batch.table,
        file.filename,
        layout.nrows,
        start,
        batch.count,
      );
      shifts.set(batch.table, layout.nrows - batch.start);
      start = layout.nrows;
    }
    let bytes = batch.bytes;
    if (start !== batch.start || !sameLayout(batch.layout, layout)) {
      const cells = order(
        decodeRows(batch.layout, batch.bytes),
        batch.layout,
        layout,
      );
      const wide = widthsExceeded(layout, cells);
      if (wide.size > 0) {
        // never cut a string short: a rebuild should have made room
        throw new StoreFileError(
          file.filename,
          `Cannot apply the journal to ${file.filename}: column ${
            [...wide.keys()].join(", ")
          } of table ` +
            `"${batch.table}" is narrower than its rows need`,
        );
      }
      bytes = encodeRows(layout, cells, start);
    }
    appendRows(file, layout, bytes);
  }
  return layouts;
}

/** Whether the table's rows at the batch's place are the batch's rows. */
function holdsBatch(
  file: H5File,
  layout: FrameTable,
  batch: JournalBatch,
  start: number,
): boolean {
  if (batch.count === 0) return true;
  const there = readRows(
    file,
    `/${layout.key}/table`,
    start,
    batch.count,
    layout.rowSize,
  );
  const ours = sameLayout(batch.layout, layout) && start === batch.start
    ? batch.bytes
    : encodeRows(
      layout,
      order(decodeRows(batch.layout, batch.bytes), batch.layout, layout),
      start,
    );
  if (there.length !== ours.length) return false;
  for (let i = 0; i < ours.length; i++) if (there[i] !== ours[i]) return false;
  return true;
}

interface TableCopy {
  key: string;
  layout: FrameTable;
  coxData: PyValue | undefined;
}

function readTables(file: H5File, keys: Set<string>): TableCopy[] {
  return [...keys].map((key) => {
    const attrs = new AttributeReader(file, `/${key}`);
    const layout = describeFrameTable(file, key, attrs);
    return { key, layout, coxData: attrs.pickled(COX_DATA) };
  });
}

/** Bytes of rows a rebuild moves at once: memory stays bounded whatever the table's size. */
const COPY_SLICE_BYTES = 64 << 20;

/**
 * Writes the tables being rebuilt anew into `out` (pandas' value-blocks
 * layout), each string column as wide as the widest layout any batch asks
 * for, with the other attributes their groups had in `src`. Rows go across
 * in slices of about COPY_SLICE_BYTES.
 */
function rebuildInto(
  src: H5File,
  out: H5File,
  copies: TableCopy[],
  batches: JournalBatch[],
): void {
  for (const copy of copies) {
    const wanted = batches.filter((b) => b.table === copy.key).map((b) =>
      b.layout
    );
    const columns = columnsOf(copy.layout).map((column) => {
      if (column.kind !== "str") return column;
      const widths = wanted.map((l) =>
        l.columns.find((c) => c.name === column.name)?.size ?? 0
      );
      return { ...column, width: Math.max(column.width ?? 1, ...widths) };
    });
    const attributes: Record<string, PyValue> = copy.coxData === undefined
      ? {}
      : { [COX_DATA]: copy.coxData };
    const layout = createFrameTable(
      out,
      copy.key,
      columns,
      attributes,
      undefined,
    );
    const made = new Set(attributeNames(out, `/${copy.key}`));
    for (const name of attributeNames(src, `/${copy.key}`)) {
      if (!made.has(name)) copyAttribute(src, out, `/${copy.key}`, name);
    }
    const rows = copy.layout.nrows;
    const slice = Math.max(
      1,
      Math.floor(COPY_SLICE_BYTES / Math.max(copy.layout.rowSize, 1)),
    );
    for (let start = 0; start < rows; start += slice) {
      const cells = readColumns(
        src,
        copy.layout,
        start,
        Math.min(slice, rows - start),
      );
      appendRows(
        out,
        layout,
        encodeRows(layout, order(cells, copy.layout, layout), start),
      );
    }
  }
}

/** The file a checkpoint writes before renaming it over `store.h5`. */
function checkpointTempPath(storePath: string): string {
  return `${storePath}.tmp-${Deno.pid}`;
}

/** Removes the files that checkpoints killed midway left beside `store.h5`. */
export function removeCheckpointLeftovers(storePath: string): void {
  const dir = dirname(storePath);
  const prefix = `${basename(storePath)}.tmp-`;
  for (const entry of Deno.readDirSync(dir)) {
    if ((entry.isFile || entry.isSymlink) && entry.name.startsWith(prefix)) {
      Deno.removeSync(join(dir, entry.name));
    }
  }
}

/**
 * Writes a new file at a temporary path beside `path` with `body`, checks
 * that it is complete and readable (`check`), syncs it and renames it over
 * `path` (once `beforeRename` returned), then syncs the folder. Any failure
 * on the way (a write, HDF5's close, the check, a sync, `beforeRename`, the
 * rename) removes the new file, leaves `path`
 * as it was, and throws; a failing sync of the folder after the rename
 * throws too (the file is replaced, but may not stay so after a crash).
 */
export function replaceFile<T>(
  path: string,
  body: (file: H5File) => T,
  check: (file: H5File, value: T) => void,
  beforeRename: () => void = () => {},
): T {
  const tmp = checkpointTempPath(path);
  let value: T;
  try {
    value = withHdf5(tmp, "w", body, { strictClose: true });
    withHdf5(tmp, "r", (file) => check(file, value));
    syncFile(tmp);
    beforeRename();
    Deno.renameSync(tmp, path);
  } catch (error) {
    try {
      Deno.removeSync(tmp);
    } catch {
      // never made
    }
    if (error instanceof StoreFileError) throw error;
    throw new StoreFileError(
      path,
      `Cannot replace ${path}: ${
        (error as Error).message
      }; it is left as it was`,
      { cause: error },
    );
  }
  try {
    syncDir(dirname(path));
  } catch (error) {
    // the new file is in place and whole, but a crash of the machine may
    // still bring the old one back: the caller keeps the journal
    throw new StoreFileError(
      path,
      `Replaced ${path}, but ${
        (error as Error).message
      }; after a crash of the machine it may hold its old rows`,
      { cause: error },
    );
  }
  return value;
}

/** Checks that a rebuilt file holds every table with the rows expected. */
function checkTables(file: H5File, layouts: Map<string, FrameTable>): void {
  for (const [key, want] of layouts) {
    const got = describeFrameTable(file, key);
    if (got.nrows !== want.nrows || !sameLayout(got, want)) {
      throw new StoreFileError(
        file.filename,
        `Cannot replace the store with ${file.filename}: its table "${key}" holds ${got.nrows} rows, ` +
          `expected ${want.nrows}`,
      );
    }
    if (got.nrows > 0) readColumns(file, got, got.nrows - 1, 1); // the last row reads back
  }
}

/** How many times a checkpoint is tried when another writer changes `store.h5` under it. */
const CONCURRENT_TRIES = 3;

/**
 * Makes `store.h5` hold every batch; returns the layouts of the tables the
 * batches touched, as they now are on disk. In place when the layouts
 * allow, else by a checked replacement that rebuilds the tables whose
 * columns must widen and carries everything else across as it is. A table
 * that cannot be rebuilt keeps its rows in the journal while the others'
 * rows still reach `store.h5` ({@linkcode PartialCheckpointError}).
 *
 * When another process (Python cox) writes to `store.h5` while we do, our
 * writes are dropped before they touch anything it wrote, and the
 * checkpoint is made again on top of what it wrote (our rows after its, as
 * for rows it wrote between two checkpoints), with a warning naming its
 * rows; after {@linkcode CONCURRENT_TRIES} tries it throws a
 * {@linkcode ConcurrentChangeError} naming them, and the batches stay in
 * the journal.
 */
export function checkpoint(
  storePath: string,
  batches: JournalBatch[],
  options: CheckpointOptions,
): Map<string, FrameTable> {
  for (let attempt = 1;; attempt++) {
    const seen = new Map<string, number>();
    try {
      return checkpointOnce(storePath, batches, options, seen);
    } catch (error) {
      const change = error instanceof ConcurrentChangeError
        ? error
        : (error as Error).cause instanceof ConcurrentChangeError
        ? (error as Error).cause as ConcurrentChangeError
        : null;
      if (change === null) throw error;
      const rows = otherRows(storePath, seen, batches);
      if (attempt < CONCURRENT_TRIES) {
        warn(`${change.message}: ${rows}; trying again on top of its rows`);
        continue;
      }
      throw new ConcurrentChangeError(
        storePath,
        `${change.message}: ${rows}; tried ${attempt} times, and each time it wrote meanwhile`,
      );
    }
  }
}

/** Rows of each of `tables` that the file holds. */
function rowCounts(
  file: H5File,
  tables: Iterable<string>,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const table of tables) {
    if (exists(file, `/${table}`)) {
      out.set(table, describeFrameTable(file, table).nrows);
    }
  }
  return out;
}

/** What another writer did to our tables since `seen` was counted, in words. */
function otherRows(
  storePath: string,
  seen: Map<string, number>,
  batches: JournalBatch[],
): string {
  const tables = new Set([...seen.keys(), ...batches.map((b) => b.table)]);
  let now: Map<string, number>;
  try {
    now = withHdf5(storePath, "r", (file) => rowCounts(file, tables));
  } catch (error) {
    return `its rows could not be counted (${(error as Error).message})`;
  }
  const parts: string[] = [];
  for (const table of tables) {
    const was = seen.get(table) ?? 0;
    const is = now.get(table) ?? 0;
    if (is > was) {
      parts.push(
        `the other writer added ${
          is - was
        } rows to table "${table}" (rows ${was}..${is - 1})`,
      );
    } else if (is < was) {
      parts.push(`table "${table}" went from ${was} to ${is} rows`);
    }
  }
  return parts.length > 0
    ? parts.join(", ")
    : "it changed no row count of our tables";
}

function checkpointOnce(
  storePath: string,
  batches: JournalBatch[],
  options: CheckpointOptions,
  seen: Map<string, number>,
): Map<string, FrameTable> {
  // an update interrupted earlier in this process is undone first
  rollBack(storePath);
  const rebuild = withHdf5(
    storePath,
    "r",
    (file) => tablesToRebuild(file, batches),
  );
  const inPlace = (some: JournalBatch[]) =>
    updateInPlace(storePath, (out) => applyBatches(out, some, options, seen));
  if (rebuild.size === 0) return inPlace(batches);
  try {
    return rebuildTables(storePath, batches, options, rebuild, seen);
  } catch (error) {
    // another process has the file open, or wrote to it: all wait
    if (
      error instanceof StoreBusyError || error instanceof ConcurrentChangeError
    ) throw error;
    const rest = batches.filter((b) => !rebuild.has(b.table));
    const kept = batches.filter((b) => rebuild.has(b.table));
    const layouts = rest.length > 0
      ? inPlace(rest)
      : new Map<string, FrameTable>();
    throw new PartialCheckpointError(
      `Cannot rebuild table${rebuild.size > 1 ? "s" : ""} ${
        [...rebuild].map((t) => `"${t}"`).join(", ")
      } of ${storePath} to widen a string column: ${
        (error as Error).message
      }; ${kept.reduce((n, b) => n + b.count, 0)} rows of ${
        rebuild.size > 1 ? "them" : "it"
      } stay in the journal`,
      layouts,
      kept,
      { cause: error },
    );
  }
}

/**
 * A replacement of store.h5 with the tables `rebuild` written anew, holding
 * `batches`. The old file is held with a shared lock meanwhile (so a writer
 * that takes HDF5's lock, as Python cox does, cannot open it), and the
 * lock is made exclusive for the rename, which happens only when the old
 * file is still as it was read: same inode, length and modification time,
 * and the same bytes wherever it was read (a writer that does not lock).
 */
function rebuildTables(
  storePath: string,
  batches: JournalBatch[],
  options: CheckpointOptions,
  rebuild: Set<string>,
  seen: Map<string, number>,
): Map<string, FrameTable> {
  const old = Deno.openSync(storePath, { read: true });
  try {
    if (!lockWithin(old, true, 0) || !old.tryLockSync(false)) {
      throw busy(storePath);
    }
    const before = old.statSync();
    const witness = new ReadWitness(before.size);
    const unroute = routeFile(storePath, {
      read: (position, bytes) => witness.record(position, bytes),
    });
    try {
      return withHdf5(storePath, "r", (src) => {
        for (const [table, n] of rowCounts(src, batches.map((b) => b.table))) {
          if (!seen.has(table)) seen.set(table, n);
        }
        const copies = readTables(src, rebuild);
        return replaceFile(
          storePath,
          (out) => {
            // everything else in the file comes across as it is (copy.ts)
            copyObjects(src, out, new Set([...rebuild].map((k) => `/${k}`)));
            rebuildInto(src, out, copies, batches);
            return applyBatches(out, batches, options);
          },
          checkTables,
          () => {
            if (!lockWithin(old, true, 200)) throw busy(storePath);
            const change = changedSince(
              storePath,
              old,
              before,
              before.size,
              witness,
            ) ?? (old.statSync().mtime?.getTime() !== before.mtime?.getTime()
              ? "its modification time changed"
              : null);
            if (change !== null) {
              throw new ConcurrentChangeError(
                storePath,
                `another process wrote to ${storePath} while we were rebuilding it (${change}); ` +
                  `the rebuilt file was not put in its place`,
              );
            }
          },
        );
      });
    } finally {
      unroute();
    }
  } finally {
    old.close();
  }
}

/**
 * A checkpoint that brought every table up to date but those it could not
 * rebuild: `layouts` are the tables written, `kept` the batches left
 * (still in the journal).
 */
export class PartialCheckpointError extends StoreFileError {
  /** The tables brought up to date, as they now are on disk. */
  readonly layouts: Map<string, FrameTable>;
  /** The batches not applied. */
  readonly kept: JournalBatch[];
  constructor(
    message: string,
    layouts: Map<string, FrameTable>,
    kept: JournalBatch[],
    options?: ErrorOptions,
  ) {
    super("", message, options);
    this.name = "PartialCheckpointError";
    this.layouts = layouts;
    this.kept = kept;
  }
}

/**
 * Warns that table `table` of `path` holds `found` rows where our `count`
 * rows were to start at `expected` (another writer, Python cox, changed it
 * meanwhile): ours go after what is there, never over it.
 */
function warnOvertaken(
  table: string,
  path: string,
  found: number,
  expected: number,
  count: number,
): void {
  warn(
    `table "${table}" of ${path} holds ${found} rows where our rows were to start at ${expected}: ` +
      `rows ${Math.min(expected, found)}..${
        Math.max(expected, found) - 1
      } were ${
        found > expected ? "written by another writer" : "missing"
      }; our ${count} rows go after them, at rows ${found}..${
        found + count - 1
      }`,
  );
}

/**
 * Bytes per write of a bulk append's new chunks (whole chunks, written once):
 * one write per chunk (at most 512 KiB). The kernel writes 640 MB in 1 MiB
 * writes 2.5x faster than in 64 KiB ones; a later small rewrite of the last
 * chunk dirties at most that chunk's piece.
 */
const BULK_WRITE_PIECE = 1 << 20;

/** Rows a bulk append writes straight into `store.h5` (see `appendInPlace`). */
export interface DirectAppend {
  table: string;
  schema: Schema;
  /** The layout the rows need (string widths); the table's own is used when wide enough. */
  layout: RowLayout;
  count: number;
  /** The row number the rows are expected to start at (a warning when another writer's rows came first). */
  start: number;
  /**
   * Packs rows `[from, from + out.length / layout.rowSize)` of those
   * appended into `out` (zeroed) in `layout`, numbered from `index`.
   */
  fill(layout: RowLayout, out: Uint8Array, from: number, index: number): void;
}

/**
 * The table's columns on disk are narrower than a bulk append's rows need:
 * nothing was written; the rows go through the journal, whose checkpoint
 * widens the table.
 */
export class NeedsRebuildError extends StoreFileError {
  constructor(path: string, table: string) {
    super(
      path,
      `Cannot append to table "${table}" of ${path} in place: a string column must widen first`,
    );
    this.name = "NeedsRebuildError";
  }
}

/**
 * Appends rows to a table straight into `store.h5`, in one in-place update
 * (`updateInPlace`): the rows are packed slice by slice into the buffer HDF5
 * writes from and go to disk once, past the file's old end, and the few
 * metadata bytes HDF5 changes (the chunk index, the dataset's extent,
 * `NROWS`) go through the undo log. When it returns the rows are in
 * `store.h5`, synced; a kill before that leaves the file as it was (the
 * rows were not acknowledged). Creates the table when the file lacks it;
 * throws a {@linkcode NeedsRebuildError} (writing nothing) when a string
 * column of the table on disk is too narrow. Returns the table as it now is
 * on disk.
 */
export function appendInPlace(
  storePath: string,
  rows: DirectAppend,
  options: CheckpointOptions,
): FrameTable {
  return updateInPlace(storePath, (file) => {
    let layout: FrameTable;
    if (exists(file, `/${rows.table}`)) {
      layout = describeFrameTable(file, rows.table);
      if (!sameLayout(layout, rows.layout) && !fits(rows.layout, layout)) {
        throw new NeedsRebuildError(storePath, rows.table);
      }
    } else {
      if (rows.start !== 0) {
        throw new StoreFileError(
          storePath,
          `Cannot append to ${storePath}: table "${rows.table}" is missing but the journal ` +
            `continues it from row ${rows.start}`,
        );
      }
      layout = createFrameTable(
        file,
        rows.table,
        columnsOf(rows.layout),
        { [COX_DATA]: options.coxData(rows.table, rows.schema) },
        options.chunkRows(rows.schema, rows.count),
      );
    }
    const start = layout.nrows;
    if (start !== rows.start) {
      warnOvertaken(rows.table, storePath, start, rows.start, rows.count);
    }
    appendRowsWith(
      file,
      layout,
      rows.count,
      (out, from) => rows.fill(layout, out, from, start + from),
    );
    return layout;
  }, { appendPiece: BULK_WRITE_PIECE });
}

/** Creates an empty `store.h5` by the same write, check and rename. */
export function createStoreFile(storePath: string): void {
  replaceFile(storePath, () => {}, () => {});
}

/**
 * A run folder's life: `<storage>/<expId>/` with `store.h5`, `save/`,
 * `.table_objects/` and `tensorboard/`, its tables, and how their rows reach
 * the disk: batches go to a synced journal (`store.h5.journal`) when
 * flushed, then into `store.h5` in place, crash-safe through an undo log
 * (see `docs/store.md`). One process writes a run at a time (`store.h5.lock`).
 *
 * @module
 */

import { basename, dirname, isAbsolute, join, resolve } from "../path.ts";
import {
  type Cell,
  decodeRows,
  encodeRows,
  type FrameTable,
  NAN_REP,
  type NewColumn,
  type RowLayout,
  type StoredKind,
  widestString,
} from "../h5/frame_table.ts";
import {
  h5TableFile,
  prepareRead,
  type TableFile,
  trimReadCache,
  withTableFile,
} from "../h5/table_file.ts";
import { columnNames, columnsOf, planLayout, reorder } from "../h5/layout.ts";
import {
  checkHdf5Usable,
  checkNoEscape,
  checkSelfContained,
  loadH5,
  StoreFileError,
  withHdf5,
} from "../h5/store_file.ts";
import {
  appendInPlace,
  checkpoint,
  createStoreFile,
  type DirectAppend,
  NeedsRebuildError,
  PartialCheckpointError,
  removeCheckpointLeftovers,
} from "./checkpoint.ts";
import {
  rollBack,
  StoreBusyError,
  underReadLock,
  UNDO_SUFFIX,
  withStoreForReading,
} from "./in_place.ts";
import { coxData, numpyTypes, schemaFromCoxData } from "../cox_data.ts";
import {
  framedBatch,
  type JournalBatch,
  JournalWriter,
  readJournal,
} from "./journal.ts";
import type { CellColumn } from "./column_arrays.ts";
import { RunLock } from "./run_lock.ts";
import { patchFromUndo, readUndo } from "./undo_log.ts";
import { H5Unsupported, patchReads } from "../h5/fast/source.ts";
import { h5Loaded } from "../h5/h5wasm.ts";
import { exitIfSignalled, holdUntilExit, release } from "./exit_hooks.ts";
import {
  checkStringCell,
  type ColumnKind,
  formatSchema,
  isColumnKind,
  type NumpyType,
  OBJECT,
  type Row,
  sameSchema,
  type Schema,
  schemaFromExample,
  utf8Length,
} from "../schema.ts";
import { MAX_WHOLE_READ_BYTES, Table, type TableHost } from "./table.ts";
import { MergedRows } from "./merged_rows.ts";
import { SummaryWriter } from "../tensorboard/summary_writer.ts";
import { ObjectFiles, serializeObject } from "./objects.ts";
import { checkInsideRun, makeDirInsideRun } from "./inside_run.ts";
import { warn } from "../warn.ts";
import { renderStore } from "../render.ts";
import {
  COX_DATA,
  JOURNAL_SUFFIX,
  LOCK_SUFFIX,
  SAVE_DIR,
  STORE_BASENAME,
  TABLE_OBJECT_DIR,
  TENSORBOARD_DIR,
} from "./run_files.ts";

/** Rows per journal batch of `appendColumns` (a batch is packed in memory whole). */
export const APPEND_SLICE_ROWS = 65_536;
/** Bytes of `appendColumns` batches journaled with one sync, then brought into `store.h5`. */
export const APPEND_GROUP_BYTES = 32 << 20;

/** Rows `[from, to)` of a column, without a copy for typed arrays. */
function sliceOf(column: CellColumn, from: number, to: number): CellColumn {
  return ArrayBuffer.isView(column)
    ? (column as unknown as Float64Array).subarray(from, to)
    : (column as Cell[]).slice(from, to);
}

/**
 * `StoreOptions.flushBytes` by default: the bytes of packed rows, of every
 * table together, that wait in memory before a flush comes ahead of
 * `flushMs`.
 */
export const DEFAULT_FLUSH_BYTES = 16 << 20;

/** The kinds of summary `logTableAndTb` can write, as tensorboardX's `add_<kind>`. */
export type SummaryType = "scalar" | "histogram" | "text" | "image";
const SUMMARY_TYPES: readonly string[] = [
  "scalar",
  "histogram",
  "text",
  "image",
];

/** How a store is opened. */
export interface StoreOptions {
  /** Refuse to open a run that exists already (default false). */
  new?: boolean;
  /**
   * `"a"` (default) opens or creates the run for appending, `"r"` reads only
   * and creates nothing, `"w"` starts `store.h5` afresh.
   */
  mode?: "a" | "r" | "w";
  /** Longest time flushed rows wait in memory before they are written, in ms (default 1000). */
  flushMs?: number;
  /**
   * Most bytes (about) of rows the store keeps in memory, its tables
   * together, before they are written, whatever `flushMs` says (default
   * 16 MiB), so memory stays bounded in a fast loop. Rows are counted as
   * packed: 8 bytes a number and the row's index, 1 a boolean, 4 plus the
   * UTF-8 bytes a string.
   */
  flushBytes?: number;
}

/** Checks an experiment id: one plain folder name inside the storage folder. */
export function checkExpId(expId: string): void {
  if (typeof expId !== "string" || expId.length === 0) {
    throw new TypeError(
      `Cannot use experiment id ${
        JSON.stringify(expId)
      }: expected a non-empty string`,
    );
  }
  if (expId === "." || expId === ".." || /[/\\\0]/.test(expId)) {
    throw new TypeError(
      `Cannot use experiment id ${
        JSON.stringify(expId)
      }: it must be a plain folder name ` +
        `(no "/", "\\", NUL, and not "." or "..")`,
    );
  }
}

/** The most UTF-8 bytes of a table or column name (HDF5 and PyTables refuse far longer ones). */
export const MAX_NAME_BYTES = 1024;

/**
 * Checks a table name: one HDF5 group path. Like Python cox's
 * `add_table("train/acc")`, `/` nests groups; no part may be empty, `.` or
 * `..`, and no NUL or overlong name is accepted.
 */
export function checkTableName(name: string): void {
  if (typeof name !== "string" || name.length === 0) {
    throw new TypeError(
      `Cannot use table name ${
        JSON.stringify(name)
      }: expected a non-empty string`,
    );
  }
  const parts = name.split("/");
  if (
    name.includes("\0") ||
    parts.some((p) => p === "" || p === "." || p === "..")
  ) {
    throw new TypeError(
      `Cannot use table name ${
        JSON.stringify(name)
      }: it must not contain NUL, nor start or end with "/", nor have an empty, "." or ".." part`,
    );
  }
  if (utf8Length(name) > MAX_NAME_BYTES) {
    throw new RangeError(
      `Cannot use table name ${
        JSON.stringify(name.slice(0, 40) + "...")
      }: it has ${
        utf8Length(name)
      } bytes of UTF-8, more than ${MAX_NAME_BYTES}`,
    );
  }
}

/**
 * Refuses a column name that pandas or HDF5 would refuse or garble later:
 * NUL (C strings end there), lone surrogates (no UTF-8 for them), more than
 * MAX_NAME_BYTES of UTF-8.
 */
function checkColumnName(table: string, column: string): void {
  const shown = JSON.stringify(
    column.length > 40 ? `${column.slice(0, 40)}...` : column,
  );
  if (column.includes("\0")) {
    throw new TypeError(
      `Cannot add table "${table}": column name ${shown} contains NUL`,
    );
  }
  if (!column.isWellFormed()) {
    throw new TypeError(
      `Cannot add table "${table}": column name ${shown} holds a lone surrogate, which UTF-8 cannot encode`,
    );
  }
  const bytes = utf8Length(column);
  if (bytes > MAX_NAME_BYTES) {
    throw new RangeError(
      `Cannot add table "${table}": column name ${shown} has ${bytes} bytes of UTF-8, more than ${MAX_NAME_BYTES}`,
    );
  }
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Whether `store.h5` is empty or all zeros: what a writer killed while
 * creating it (before creation was atomic) leaves. A file with any other
 * bytes may hold rows, and is reported, never replaced.
 */
function halfMade(path: string): boolean {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch {
    return false;
  }
  try {
    const size = file.statSync().size;
    if (size > 1 << 20) return false;
    // a store begins with HDF5's signature: its first block decides at once,
    // and only a file whose first block is all zeros is read to the end
    const block = new Uint8Array(Math.min(size, 4096));
    let got = 0;
    for (let i = 0; got < block.length; i++) {
      const n = file.readSync(block.subarray(got));
      if (n === null || i > 1000) break;
      got += n;
    }
    if (!block.subarray(0, got).every((b) => b === 0)) return false;
    if (got === size) return true;
    return Deno.readFileSync(path).every((b) => b === 0);
  } catch {
    return false;
  } finally {
    file.close();
  }
}

/**
 * The names in a run's folder, or null when it cannot be listed. One listing
 * tells a reader which side files (journal, lock, undo log) are there, where
 * opening each would cost a failed system call and a thrown error per file.
 */
function runEntries(dir: string): Set<string> | null {
  try {
    const names = new Set<string>();
    for (const entry of Deno.readDirSync(dir)) names.add(entry.name);
    return names;
  } catch {
    return null;
  }
}

/** Whether `path` may exist, by a listing of its folder (null: not listed, so maybe). */
function listed(entries: Set<string> | null, path: string): boolean {
  return entries === null || entries.has(basename(path));
}

/** Whether an in-place update of `path` left an undo log (see in_place.ts). */
function hasUndoLog(path: string): boolean {
  try {
    return Deno.statSync(path + UNDO_SUFFIX).size > 0;
  } catch {
    return false;
  }
}

/** What `#findTables` finds in a file: each cox table's schema, numpy types and row count. */
interface FoundTables {
  schemas: Map<string, Schema>;
  numpy: Map<string, Record<string, NumpyType>>;
  rows: Map<string, number>;
}

/** A table file that can read a table's structure ahead of its rows (the fast reader's). */
type Preparable = TableFile & { prepare?(key: string): void };

/** Whether opening failed only because the file needs h5wasm, not loaded yet. */
function needsH5wasm(error: unknown): boolean {
  return error instanceof StoreFileError &&
    error.cause instanceof H5Unsupported;
}

/** The layout of table `name` in `file`, checked against its schema. */
function describeChecked(
  storePath: string,
  file: TableFile,
  name: string,
  schema: Readonly<Schema>,
): FrameTable {
  const known = Object.fromEntries(
    Object.entries(schema).map(([c, k]) => [c, storedKind(k)]),
  );
  const layout = file.describe(name, known);
  checkLayout(storePath, schema, layout);
  return layout;
}

function storedKind(kind: ColumnKind): StoredKind {
  return kind === "float" || kind === "int" || kind === "bool" ? kind : "str";
}

/** Width with headroom, so that a column is rarely widened (which rewrites the file). */
function roomyWidth(needed: number): number {
  let w = 32;
  while (w < needed) w *= 2;
  return w;
}

/**
 * Rows per HDF5 chunk: enough for the first batch (so a big batch is written
 * in few chunks), at most about 512 KiB, and small for small tables (a
 * chunk takes its full size on disk as soon as one row is in it).
 */
function chunkRows(schema: Schema, firstBatch: number): number {
  const rowSize = 8 +
    Object.values(schema).reduce(
      (n, k) => n + (k === "bool" ? 1 : k === "float" || k === "int" ? 8 : 32),
      0,
    );
  const most = Math.max(128, Math.floor((512 * 1024) / rowSize));
  let rows = 128;
  while (rows < firstBatch && rows < most) rows *= 2;
  return Math.min(rows, most);
}

const CHECKPOINT_OPTIONS = { coxData, chunkRows };

/** Checks that a table on disk has the columns its schema names. */
function checkLayout(path: string, schema: Schema, layout: FrameTable): void {
  const onDisk = new Set(layout.columns.map((c) => c.name));
  const missing = Object.keys(schema).filter((c) => !onDisk.has(c));
  const extra = [...onDisk].filter((c) => !(c in schema));
  if (missing.length > 0 || extra.length > 0) {
    throw new StoreFileError(
      path,
      `Cannot read table "${layout.key}" in ${path}: its schema and its columns differ` +
        (missing.length
          ? `; schema columns ${missing.join(", ")} are not in the table`
          : "") +
        (extra.length
          ? `; columns ${extra.join(", ")} are not in the schema`
          : ""),
    );
  }
}

/** Cells (one array per column of `layout`) in the order of the schema's columns. */
function inSchemaOrder(
  schema: Schema,
  layout: RowLayout,
  cells: Cell[][],
): Cell[][] {
  return reorder(cells, columnNames(layout), Object.keys(schema));
}

/**
 * The UTF-8 bytes the widest value of string column `column` (schema
 * order) takes when that is more than `atMost`; otherwise any number up to
 * `atMost` (the values fit, and need not be measured exactly).
 */
type Widest = (column: number, atMost: number) => number;

/** The smallest width `roomyWidth` gives. */
const MIN_ROOMY_WIDTH = roomyWidth(0);

function newColumns(schema: Schema, widest: Widest): NewColumn[] {
  return Object.entries(schema).map(([name, kind], i) => {
    const stored = storedKind(kind);
    if (stored !== "str") return { name, kind: stored };
    return {
      name,
      kind: stored,
      width: roomyWidth(widest(i, MIN_ROOMY_WIDTH)),
    };
  });
}

/**
 * `Widest` of columns of cells: a UTF-16 unit takes 1 to 3 bytes of UTF-8,
 * so the longest value bounds the width, and the UTF-8 of every value is
 * measured only when 3 bytes a unit would not fit.
 */
function widestOfCells(cells: readonly CellColumn[]): Widest {
  // a layout asks for a column more than once: each is scanned once
  const longest = new Map<number, number>();
  return (column, atMost) => {
    const values = cells[column] as readonly (string | null)[];
    let units = longest.get(column);
    if (units === undefined) {
      units = 0;
      for (let i = 0; i < values.length; i++) {
        const n = (values[i] ?? NAN_REP).length;
        if (n > units) units = n;
      }
      longest.set(column, units);
    }
    return 3 * units <= atMost ? 3 * units : widestString(values);
  };
}

/**
 * A run: its folder, its tables, and their rows on the way to `store.h5`.
 *
 * @example
 * ```ts
 * import { Store } from "../../mod.ts";
 * const dir = await Deno.makeTempDir();
 * {
 *   using store = await Store.open(dir, "run-1");
 *   const log = store.addTable("log", { epoch: "int", loss: "float" });
 *   log.appendRow({ epoch: 1, loss: 0.5 });
 * }
 * using again = await Store.open(dir, "run-1", { mode: "r" });
 * console.assert(again.table("log").rows()[0].loss === 0.5);
 * ```
 */
export class Store {
  /** The run's id: its folder's name. */
  readonly expId: string;
  /** Absolute path of the run folder. */
  readonly path: string;
  /** `<run>/save`, for the user's own files. */
  readonly saveDir: string;
  /** `<run>/tensorboard`. */
  readonly tensorboardDir: string;
  /** `<run>/.table_objects`, where PICKLE and PYTORCH_STATE cells point. */
  readonly tableObjectDir: string;
  /** `<run>/store.h5`. */
  readonly storePath: string;
  /** How the store was opened. */
  readonly mode: "a" | "r" | "w";
  readonly #tables = new Map<string, Table>();
  /** Tables as described in `store.h5` (kept by a writer, the file's only changer). */
  readonly #fileLayouts = new Map<string, FrameTable>();
  /** How each table's next batch is packed. */
  readonly #writeLayouts = new Map<string, RowLayout>();
  /** Tables found in `store.h5` when it was opened. */
  readonly #inFile = new Set<string>();
  /** Batches in the journal and not yet in `store.h5`. */
  #unapplied: JournalBatch[] = [];
  #journal: JournalWriter | null = null;
  #lock: RunLock | null = null;
  /** When rows appended since the last flush must next reach the journal. */
  #flushDue = Infinity;
  #writer: SummaryWriter | null = null;
  readonly #flushMs: number;
  #flushBytes = DEFAULT_FLUSH_BYTES;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;
  /** `store.h5` was found empty or cut short (read as an empty run). */
  #halfMade = false;
  readonly #host: TableHost;
  readonly #objectFiles: ObjectFiles;

  private constructor(
    root: string,
    expId: string,
    mode: "a" | "r" | "w",
    flushMs: number,
    objectDir?: string,
  ) {
    this.expId = expId;
    this.path = join(root, expId);
    this.saveDir = join(this.path, SAVE_DIR);
    this.tensorboardDir = join(this.path, TENSORBOARD_DIR);
    this.tableObjectDir = objectDir ?? join(this.path, TABLE_OBJECT_DIR);
    this.storePath = join(this.path, STORE_BASENAME);
    this.mode = mode;
    this.#flushMs = flushMs;
    this.#objectFiles = new ObjectFiles(this.path, this.tableObjectDir);
    this.#host = {
      readOnlyReason: () => {
        if (this.#closed) return "the store is closed";
        return this.mode === "r"
          ? `the store ${this.storePath} is open read-only`
          : null;
      },
      serialize: (table, column, kind, value) =>
        checkStringCell(
          table,
          column,
          kind,
          serializeObject(
            this.tableObjectDir,
            table,
            column,
            kind,
            value,
            this.#objectFiles,
          ),
        ),
      readStored: (table, start, stop) => this.#readStored(table, start, stop),
      countStored: (table) => this.#countStored(table),
      tableObjectDir: this.tableObjectDir,
      rowsPending: () => this.#schedule(),
      flushIfDue: () => this.#flushIfDue(),
      appendColumns: (table, cells, count) =>
        this.#appendColumns(table, cells, count),
    };
  }

  /** `<run>/store.h5.journal`. */
  get journalPath(): string {
    return this.storePath + JOURNAL_SUFFIX;
  }

  /**
   * Opens the run `<storageFolder>/<expId>` (a new uuid4 when absent), as
   * cox's `Store(storage_folder, exp_id, new, mode)` does. Rows a killed
   * writer had flushed are found (a writer also puts them into `store.h5`).
   */
  static open(
    storageFolder: string,
    expId?: string,
    options: StoreOptions = {},
  ): Promise<Store> {
    return Store.#open(storageFolder, expId, options);
  }

  static async #open(
    storageFolder: string,
    expId: string | undefined,
    options: StoreOptions,
    objectDir?: string,
  ): Promise<Store> {
    const mode = options.mode ?? "a";
    if (mode !== "a" && mode !== "r" && mode !== "w") {
      throw new TypeError(
        `Cannot open a store in mode ${
          JSON.stringify(mode)
        }: expected "a", "r" or "w"`,
      );
    }
    const flushMs = options.flushMs ?? 1000;
    if (!(flushMs > 0) || !Number.isFinite(flushMs)) {
      throw new RangeError(
        `Cannot use flushMs ${flushMs}: expected a positive number of milliseconds`,
      );
    }
    const id = expId ?? crypto.randomUUID();
    checkExpId(id);
    const root = isAbsolute(storageFolder)
      ? storageFolder
      : resolve(Deno.cwd(), storageFolder);
    const flushBytes = options.flushBytes ?? DEFAULT_FLUSH_BYTES;
    if (!(flushBytes > 0) || !Number.isFinite(flushBytes)) {
      throw new RangeError(
        `Cannot use flushBytes ${flushBytes}: expected a positive number of bytes`,
      );
    }
    const store = new Store(root, id, mode, flushMs, objectDir);
    store.#flushBytes = flushBytes;
    if (options.new && exists(store.path)) {
      throw new Deno.errors.AlreadyExists(
        `Cannot create run ${store.path}: it exists already (new: true)`,
      );
    }
    if (mode === "r") {
      await store.#openForReading();
      return store;
    }
    await loadH5();
    checkHdf5Usable(store.storePath);
    // a store naming other files would make HDF5 write to them: refuse it before anything
    if (exists(store.storePath)) checkSelfContained(store.storePath);
    for (
      const dir of [
        store.path,
        store.saveDir,
        store.tableObjectDir,
        store.tensorboardDir,
      ]
    ) {
      makeDirInsideRun(store.path, dir);
    }
    store.#lock = RunLock.acquire(store.storePath + LOCK_SUFFIX);
    try {
      removeCheckpointLeftovers(store.storePath);
      // a rename would replace a symlink that leads out of the run: refuse it
      checkNoEscape(store.storePath);
      if (mode === "w") {
        for (const p of [store.journalPath, store.storePath + UNDO_SUFFIX]) {
          if (exists(p)) Deno.removeSync(p);
        }
        createStoreFile(store.storePath);
      } else if (!exists(store.storePath)) {
        createStoreFile(store.storePath);
      } else if (halfMade(store.storePath)) {
        const aside = `${store.storePath}.half-made-${Date.now()}`;
        Deno.renameSync(store.storePath, aside);
        createStoreFile(store.storePath);
        warn(
          `${store.storePath} was empty (a writer died creating it): ` +
            `started it afresh, kept the old bytes in ${aside}`,
        );
      } else if (rollBack(store.storePath)) {
        warn(
          `rolled ${store.storePath} back to its last consistent state (a writer died updating it); ` +
            `its rows are re-applied from the journal`,
        );
      }
      const end = store.#load();
      store.#journal = new JournalWriter(store.journalPath, end);
      if (store.#unapplied.length > 0) store.#recover();
    } catch (error) {
      store.#lock.release();
      throw error;
    }
    holdUntilExit(store.#exitHook);
    return store;
  }

  /**
   * Reads the journal, then which cox tables `store.h5` holds (in that order,
   * so that a writer's checkpoint in between cannot hide rows). Returns the
   * length of the journal's intact part.
   */
  #load(
    half = false,
    entries: Set<string> | null = null,
  ): number {
    const journal = this.#readJournal(entries);
    if (this.mode === "r" && half) {
      warn(
        `${this.storePath} is empty (a writer died creating it): read as an empty run`,
      );
      this.#halfMade = true;
      for (const batch of this.#unapplied) {
        if (!this.#tables.has(batch.table)) {
          this.#tables.set(
            batch.table,
            new Table(batch.table, batch.schema, this.#host, null),
          );
        }
      }
      return journal.end;
    }
    this.#addTables(this.#readFile((file) => this.#findTables(file)));
    return journal.end;
  }

  /** Reads the journal when the run's listing (null: none) shows one. */
  #readJournal(entries: Set<string> | null): { end: number } {
    const journal = listed(entries, this.journalPath)
      ? readJournal(this.journalPath)
      : { batches: [], end: 0 };
    if (journal.damage) {
      warn(`ignored the end of ${this.journalPath}: ${journal.damage}`);
    }
    this.#unapplied = journal.batches;
    return journal;
  }

  /**
   * The cox tables of `file`: their schemas, numpy types and (for a reader)
   * row counts, with everything reading their rows needs but the rows (so
   * that a file the fast reader cannot read shows now, not at a later read).
   */
  #findTables(file: TableFile): FoundTables {
    const found: FoundTables = {
      schemas: new Map(),
      numpy: new Map(),
      rows: new Map(),
    };
    for (const { key, cox } of file.findTables()) {
      if (!cox) continue; // not a table cox wrote: cox skips it too
      const data = file.attributes(`/${key}`).pickled(COX_DATA)!;
      const schema = schemaFromCoxData(this.storePath, key, data);
      found.schemas.set(key, schema);
      found.numpy.set(key, numpyTypes(data));
      this.#inFile.add(key);
      if (this.mode === "r") {
        (file as Preparable).prepare?.(key);
        try {
          found.rows.set(
            key,
            describeChecked(this.storePath, file, key, schema).nrows,
          );
        } catch {
          // a table that cannot be described says why when it is read
        }
      }
    }
    return found;
  }

  /** Makes the tables found in the file and in the journal. */
  #addTables(found: FoundTables): void {
    if (this.mode === "r") trimReadCache(this.storePath);
    const schemas = found.schemas;
    for (const batch of this.#unapplied) {
      if (!schemas.has(batch.table)) schemas.set(batch.table, batch.schema);
    }
    for (const [name, schema] of schemas) {
      const rows = found.rows.get(name);
      this.#tables.set(
        name,
        new Table(
          name,
          schema,
          this.#host,
          rows === undefined ? null : this.#withJournal(name, rows),
          found.numpy.get(name),
        ),
      );
    }
  }

  /**
   * Opens a read-only store: under the shared lock, on one handle of
   * `store.h5`, one listing of the run (journal, lock, undo log), the journal
   * when there is one, and one pass of the fast reader over the file's
   * structure. A file it does not handle loads h5wasm and is read again
   * through it; an interrupted update (an undo log) is read as it was
   * before; a half-made file as an empty run.
   */
  async #openForReading(): Promise<void> {
    let entries: Set<string> | null = null;
    let way: "read" | "undo" | "h5wasm" | "half";
    try {
      way = underReadLock(this.storePath, () => {
        entries = runEntries(this.path);
        if (
          !listed(entries, this.storePath) ||
          (entries === null && !exists(this.storePath))
        ) {
          throw new Deno.errors.NotFound(
            `Cannot open ${this.storePath} read-only: no such file`,
          );
        }
        // an update to undo (or under way): read below, the way that sees it
        if (listed(entries, this.storePath + UNDO_SUFFIX)) return "undo";
        this.#readJournal(entries);
        this.#addTables(
          withTableFile(this.storePath, (file) => this.#findTables(file)),
        );
        return "read";
      });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) throw error;
      this.#inFile.clear();
      this.#tables.clear();
      this.#unapplied = [];
      if (needsH5wasm(error)) way = "h5wasm";
      else if (halfMade(this.storePath)) way = "half";
      else throw error;
    }
    if (way === "undo") {
      // h5wasm reads a file with an in-place update to undo
      let half = false;
      if (hasUndoLog(this.storePath)) {
        await loadH5();
        half = halfMade(this.storePath);
      } else {
        try {
          await prepareRead(this.storePath);
        } catch (error) {
          if (!halfMade(this.storePath)) throw error;
          half = true;
        }
      }
      this.#load(half, entries);
    } else if (way === "h5wasm") {
      await prepareRead(this.storePath); // loads h5wasm for this file
      this.#load(false, entries);
    } else if (way === "half") this.#load(true, entries);
    this.#warnIfBehind(entries);
  }

  /** Puts the rows of a writer that died before writing them into `store.h5`, and says so. */
  #recover(): void {
    const counts = new Map<string, number>();
    for (const b of this.#unapplied) {
      counts.set(b.table, (counts.get(b.table) ?? 0) + b.count);
    }
    const what = [...counts].map(([t, n]) => `${n} rows of table "${t}"`).join(
      ", ",
    );
    try {
      this.#applyJournal(false);
      if (this.#unapplied.length > 0) {
        throw new Error("another process has it open");
      }
      warn(
        `recovered ${what} into ${this.storePath} from the journal of a writer that ended before writing them`,
      );
    } catch (error) {
      warn(
        `kept ${what} in ${this.journalPath}, as ${this.storePath} cannot be written: ${
          (error as Error).message
        }`,
      );
    }
  }

  /** The layout of table `name` in `store.h5`, or null when it is not there yet. */
  #fileLayout(file: TableFile, name: string): FrameTable | null {
    const cached = this.#fileLayouts.get(name);
    if (cached) return cached;
    if (!this.#inFile.has(name) && !file.has(`/${name}`)) return null;
    const schema = this.#tables.get(name)!.schema;
    const layout = describeChecked(this.storePath, file, name, schema);
    // a reader describes afresh each time: a writer may replace the file meanwhile
    if (this.mode !== "r") this.#fileLayouts.set(name, layout);
    return layout;
  }

  /** The journal's batches of a table, in row order. */
  #batchesOf(name: string): JournalBatch[] {
    return this.#unapplied.filter((b) => b.table === name).sort((a, b) =>
      a.start - b.start
    );
  }

  /**
   * Reads `store.h5`: a writer reads it as it is (it is its only changer), a
   * reader as its last consistent state (see `withStoreForReading`).
   */
  #readFile<T>(body: (file: TableFile) => T): T {
    if (this.mode !== "r") {
      return withHdf5(this.storePath, "r", (file) => body(h5TableFile(file)));
    }
    return underReadLock(this.storePath, () => {
      // one listing of the run rather than a failed open of an absent log
      const undo = this.storePath + UNDO_SUFFIX;
      const log = listed(runEntries(this.path), undo) ? readUndo(undo) : null;
      if (log === null) return withTableFile(this.storePath, body);
      // an in-place update cut short (or about to start): read the file as
      // it was before it, through h5wasm when loaded, else the fast reader
      if (h5Loaded()) {
        return withStoreForReading(
          this.storePath,
          (file) => body(h5TableFile(file)),
        );
      }
      const unpatch = patchReads(
        this.storePath,
        (position, bytes) => patchFromUndo(log, position, bytes),
      );
      try {
        return withTableFile(this.storePath, body);
      } finally {
        unpatch();
      }
    });
  }

  #countStored(name: string): number {
    const n = this.#halfMade
      ? 0
      : this.#readFile((file) => this.#fileLayout(file, name)?.nrows ?? 0);
    return this.#withJournal(name, n) ??
      this.#readFile((file) => this.#mergedRows(file, name).count);
  }

  /**
   * The rows of table `name` given `n` in `store.h5`, with the journal's; null
   * when a reader must merge them to count (a batch overlaps or skips rows).
   */
  #withJournal(name: string, n: number): number | null {
    for (const b of this.#batchesOf(name)) {
      if (b.start === n) n += b.count;
      else if (this.mode !== "r") n = Math.max(n, b.start + b.count);
      else return null; // overlaps or skips the file's rows: count as rows() shows them
    }
    return n;
  }

  /** A reader of a run whose journal store.h5 lacks, with no writer to apply it, says so. */
  #warnIfBehind(entries: Set<string> | null = null): void {
    if (this.#unapplied.length === 0) return;
    if (
      listed(entries, this.storePath + LOCK_SUFFIX) &&
      exists(this.storePath + LOCK_SUFFIX)
    ) return; // a writer is on it
    const counts = new Map<string, number>();
    for (const b of this.#unapplied) {
      counts.set(b.table, (counts.get(b.table) ?? 0) + b.count);
    }
    const what = [...counts].map(([t, n]) => `${n} rows of table "${t}"`)
      .join(", ");
    warn(
      `${this.journalPath} holds ${what} that may not be in ${this.storePath} yet ` +
        `(its writer ended before writing them, or could not): shown here; pandas does not see ` +
        `them until a writer opens the run`,
    );
  }

  /** The rows in `store.h5`, then those only in the journal, readable by range. */
  #mergedRows(file: TableFile | null, name: string): MergedRows {
    const schema = this.#tables.get(name)!.schema;
    const layout = file === null ? null : this.#fileLayout(file, name);
    return new MergedRows({
      columns: Object.keys(schema).length,
      fileRows: layout?.nrows ?? 0,
      readFile: (start, count) =>
        inSchemaOrder(
          schema,
          layout!,
          file!.readColumns(layout!, start, count),
        ),
      decodeBatch: (batch) =>
        inSchemaOrder(
          schema,
          batch.layout,
          decodeRows(batch.layout, batch.bytes),
        ),
    }, this.#batchesOf(name));
  }

  /**
   * Rows `[start, stop)` of those in `store.h5` and the journal (all when
   * `stop` is null, which is refused past MAX_WHOLE_READ_BYTES), in schema
   * order.
   */
  #readStored(name: string, start: number, stop: number | null): Cell[][] {
    const read = (file: TableFile | null) => {
      const rows = this.#mergedRows(file, name);
      if (stop === null) this.#checkWholeRead(file, name, rows.count);
      const end = Math.min(stop ?? rows.count, rows.count);
      return rows.read(Math.min(start, end), end);
    };
    return this.#halfMade ? read(null) : this.#readFile(read);
  }

  /**
   * @internal For readers that decode rows themselves (`CollectionReader.df`):
   * calls `use` with every row of table `name` as `store.h5` stores them and
   * their layout, while the file is open, and returns what it returns. Null
   * (and `use` is not called) unless the store is read-only and the file
   * holds all of the table's rows (none only in its journal).
   */
  withRawRows<T>(
    name: string,
    use: (layout: FrameTable, bytes: Uint8Array) => T,
  ): T | null {
    if (
      this.mode !== "r" || this.#halfMade || !this.#inFile.has(name) ||
      !this.#tables.has(name) || this.#batchesOf(name).length > 0
    ) return null;
    return this.#readFile((file) => {
      const layout = this.#fileLayout(file, name);
      if (layout === null) return null;
      this.#checkWholeRead(file, name, layout.nrows, layout);
      return use(layout, file.readRaw(layout));
    });
  }

  /** Refuses to read a table whole when its rows take more than MAX_WHOLE_READ_BYTES. */
  #checkWholeRead(
    file: TableFile | null,
    name: string,
    stored: number,
    known?: FrameTable,
  ): void {
    const table = this.#tables.get(name)!;
    const rows = stored + table.pendingCount;
    const layout = known ??
      (file === null ? null : this.#fileLayout(file, name)) ??
      this.#writeLayouts.get(name) ?? this.#batchesOf(name)[0]?.layout;
    const rowSize = layout?.rowSize ?? 0;
    if (rows * rowSize <= MAX_WHOLE_READ_BYTES) return;
    throw new RangeError(
      `Cannot read table "${name}" of ${this.storePath} whole: its ${rows} rows of ${rowSize} bytes ` +
        `take ${
          rows * rowSize
        } bytes, more than the ${MAX_WHOLE_READ_BYTES} bytes read at once; ` +
        `read it by ranges, with rows({ start, stop }) or columns({ start, stop })`,
    );
  }

  /** The tables of this run, by name. */
  get tables(): ReadonlyMap<string, Table> {
    return this.#tables;
  }

  /** The table `name`; throws a RangeError listing the tables when there is none. */
  table<S extends Schema = Schema>(name: string): Table<S> {
    const table = this.#tables.get(name);
    if (table === undefined) {
      const names = [...this.#tables.keys()];
      throw new RangeError(
        `Cannot find table "${name}" in ${this.storePath}: ` +
          (names.length
            ? `it has ${names.map((n) => `"${n}"`).join(", ")}`
            : "it has no tables"),
      );
    }
    return table as unknown as Table<S>;
  }

  /**
   * Adds a table with the given schema (or returns the existing one when a
   * table of that name has the same schema).
   */
  addTable<const S extends Schema>(name: string, schema: S): Table<S> {
    const reason = this.#host.readOnlyReason();
    if (reason !== null) {
      throw new TypeError(`Cannot add table "${name}": ${reason}`);
    }
    checkTableName(name);
    if (
      schema === null || typeof schema !== "object" ||
      Object.keys(schema).length === 0
    ) {
      throw new TypeError(
        `Cannot add table "${name}": expected a schema with at least one column`,
      );
    }
    for (const [column, kind] of Object.entries(schema)) {
      if (!isColumnKind(kind)) {
        throw new TypeError(
          `Cannot add table "${name}": column "${column}" has kind ${
            JSON.stringify(kind)
          }, ` +
            `expected "float", "int", "str", "bool", OBJECT, PICKLE or PYTORCH_STATE`,
        );
      }
      if (column.length === 0 || column === "index") {
        throw new TypeError(
          `Cannot add table "${name}": column name ${
            JSON.stringify(column)
          } is reserved or empty`,
        );
      }
      checkColumnName(name, column);
    }
    const existing = this.#tables.get(name);
    if (existing !== undefined) {
      if (sameSchema(existing.schema, schema)) {
        return existing as unknown as Table<S>;
      }
      throw new TypeError(
        `Cannot add table "${name}" with schema ${formatSchema(schema)}: ` +
          `it exists with schema ${formatSchema(existing.schema)}`,
      );
    }
    const table = new Table<S>(name, schema, this.#host);
    this.#tables.set(name, table as unknown as Table);
    return table;
  }

  /** Adds a table whose schema is inferred from an example row, as cox's `add_table_like_example`. */
  addTableLikeExample(
    name: string,
    example: Record<string, unknown>,
    alternative: ColumnKind = OBJECT,
  ): Table {
    return this.addTable(name, schemaFromExample(example, alternative));
  }

  /**
   * Called by tables every few hundred rows: a loop that never awaits never
   * lets the timer run, so the clock is checked here too, and so is a
   * signal that the loop kept the exit hooks from seeing.
   */
  #flushIfDue(): void {
    exitIfSignalled();
    if (this.#closed) return;
    if (
      performance.now() < this.#flushDue &&
      this.#pendingBytes() < this.#flushBytes
    ) return;
    try {
      this.flush();
    } catch (error) {
      warn((error as Error).message);
      this.#flushDue = performance.now() + this.#flushMs;
    }
  }

  /**
   * About how many bytes the rows waiting in memory take, packed, in every
   * table: past `flushBytes` a loop logging millions of rows a second
   * flushes before `flushMs`, so that a writer's memory stays bounded (each
   * batch still carries megabytes, so the disk writes per row do not grow).
   */
  #pendingBytes(): number {
    let bytes = 0;
    for (const table of this.#tables.values()) bytes += table.pendingBytes;
    return bytes;
  }

  #schedule(): void {
    if (this.#flushDue === Infinity) {
      this.#flushDue = performance.now() + this.#flushMs;
    }
    if (this.#timer !== null || this.#closed) return;
    const timer = setTimeout(() => {
      this.#timer = null;
      try {
        this.flush();
      } catch (error) {
        warn((error as Error).message);
        this.#schedule();
      }
    }, this.#flushMs);
    Deno.unrefTimer(timer as unknown as number);
    this.#timer = timer;
  }

  /**
   * The run's TensorBoard writer on `<run>/tensorboard`, opened at first use
   * (a read-only store has none).
   */
  get tensorboard(): SummaryWriter {
    const reason = this.#host.readOnlyReason();
    if (reason !== null) {
      throw new TypeError(`Cannot log to TensorBoard: ${reason}`);
    }
    if (!this.#writer) checkInsideRun(this.path, this.tensorboardDir, "read");
    this.#writer ??= new SummaryWriter(this.tensorboardDir, {
      flushMs: this.#flushMs,
    });
    return this.#writer;
  }

  /** The same writer as `tensorboard`, by the name cox's walkthrough uses. */
  get writer(): SummaryWriter {
    return this.tensorboard;
  }

  /**
   * Logs values to a table's working row and to TensorBoard as
   * `<table>/<column>` at step = the table's row count, as cox's
   * `log_table_and_tb`. Values are checked before anything is logged.
   */
  logTableAndTb<S extends Schema>(
    table: string | Table<S>,
    values: Partial<Row<S>>,
    summaryType: SummaryType = "scalar",
  ): void {
    if (!SUMMARY_TYPES.includes(summaryType)) {
      throw new TypeError(
        `Cannot log with summary type ${
          JSON.stringify(summaryType)
        }: expected scalar, histogram, text or image`,
      );
    }
    const t = typeof table === "string" ? this.table<S>(table) : table;
    const step = t.nrows;
    t.updateRow(values);
    const writer = this.tensorboard;
    for (const [column, value] of Object.entries(values)) {
      const tag = `${t.name}/${column}`;
      switch (summaryType) {
        case "scalar":
          writer.addScalar(tag, Number(value), step);
          break;
        case "histogram":
          writer.addHistogram(
            tag,
            value as Parameters<SummaryWriter["addHistogram"]>[1],
            step,
          );
          break;
        case "text":
          writer.addText(tag, String(value), step);
          break;
        case "image":
          writer.addImage(
            tag,
            value as Parameters<SummaryWriter["addImage"]>[1],
            step,
          );
          break;
      }
    }
  }

  /**
   * The layout a table's next rows are written in: the one in use, or that
   * of `store.h5`, or a new one; string columns widen when the rows need
   * more than their width.
   */
  #layoutFor(table: Table, widest: Widest): RowLayout {
    const name = table.name;
    const schemaNames = Object.keys(table.schema);
    let layout: RowLayout | undefined = this.#writeLayouts.get(name);
    if (layout === undefined) {
      layout = withTableFile(
        this.storePath,
        (file) => this.#fileLayout(file, name),
        { onThisThread: true },
      ) ??
        planLayout(name, newColumns(table.schema, widest));
    }
    const wide = new Map<string, number>();
    for (const slot of layout.columns) {
      if (slot.kind !== "str") continue;
      const width = widest(schemaNames.indexOf(slot.name), slot.size);
      if (width > slot.size) wide.set(slot.name, width);
    }
    if (wide.size > 0) {
      // numeric widths stay (a Python table's int8 stays int8)
      const columns = columnsOf(layout).map((column): NewColumn => ({
        ...column,
        width: column.kind === "str"
          ? roomyWidth(Math.max(column.width ?? 1, wide.get(column.name) ?? 0))
          : undefined,
      }));
      layout = planLayout(name, columns);
    }
    this.#writeLayouts.set(name, layout);
    return layout;
  }

  /**
   * One journal batch of `cells` (schema order), its first row numbered
   * `start`, packed straight into its record.
   */
  #batch(
    table: Table,
    layout: RowLayout,
    cells: readonly CellColumn[],
    start: number,
  ): JournalBatch {
    const ordered = reorder(
      cells as Cell[][],
      Object.keys(table.schema),
      columnNames(layout),
    );
    const { rowSize, indexOffset, columns } = layout;
    return framedBatch(
      {
        table: table.name,
        schema: { ...table.schema },
        start,
        count: cells.length > 0 ? cells[0].length : 0,
        layout: { rowSize, indexOffset, columns },
      },
      (rows) => encodeRows(layout, ordered, start, rows),
    );
  }

  /**
   * Packs a table's pending rows as one journal batch, straight from their
   * packed columns into the journal record, widening string columns when
   * needed.
   */
  #batchOf(table: Table): JournalBatch {
    const pending = table.pendingBatch;
    const names = Object.keys(table.schema);
    const layout = this.#layoutFor(
      table,
      (c) => pending.widest(c),
    );
    const { rowSize, indexOffset, columns } = layout;
    const start = table.storedRows;
    return framedBatch({
      table: table.name,
      schema: { ...table.schema },
      start,
      count: pending.count,
      layout: { rowSize, indexOffset, columns },
    }, (rows) =>
      pending.encode(
        layout,
        columns.map((slot) => names.indexOf(slot.name)),
        start,
        rows,
      ));
  }

  /**
   * `table.appendColumns`: the pending rows first (journaled and brought
   * into `store.h5`), then the columns, straight into `store.h5` in one
   * in-place update (`appendInPlace`: the rows are written once, and are in
   * `store.h5`, synced, when it returns). When that cannot be done (the
   * journal still holds rows, another process has the file open, a string
   * column must widen, or any failure, which leaves the file as it was),
   * the rows go through the journal instead (`#journalColumns`), and once a
   * journaled group has widened the table the rest is tried in place again.
   */
  #appendColumns(table: Table, cells: CellColumn[], count: number): void {
    this.#writePending();
    let direct = true;
    try {
      this.#applyJournal(false);
    } catch {
      direct = false; // the journal path meets the same error, and reports it as before
    }
    const layout = this.#layoutFor(table, widestOfCells(cells));
    let done = 0;
    while (done < count) {
      if (direct && this.#unapplied.length === 0) {
        try {
          this.#appendDirect(table, layout, cells, done, count);
          return;
        } catch (error) {
          // the file is as it was: the journal takes the rows (and, for a
          // narrow column, widens it with the first group)
          if (!(error instanceof NeedsRebuildError)) direct = false;
        }
      }
      done = this.#journalColumns(table, layout, cells, done, count);
    }
  }

  /** Rows `[from, count)` of `cells` straight into `store.h5` (`appendInPlace`). */
  #appendDirect(
    table: Table,
    layout: RowLayout,
    cells: CellColumn[],
    from: number,
    count: number,
  ): void {
    const names = Object.keys(table.schema);
    let packedFor: RowLayout | null = null;
    let ordered: Cell[][] = [];
    const nrows = this.#appendInPlace(
      table,
      layout,
      count - from,
      (into, out, at, index) => {
        if (packedFor !== into) {
          ordered = reorder(cells as Cell[][], names, columnNames(into));
          packedFor = into;
        }
        encodeRows(into, ordered, index, out, from + at);
      },
    );
    table.setStoredRows(nrows);
  }

  /**
   * `count` rows of `table` straight into `store.h5` in one in-place update
   * (`appendInPlace`), packed by `fill`; the layouts known of the table
   * follow. Returns the table's row count on disk (the caller sets the
   * table's own).
   */
  #appendInPlace(
    table: Table,
    layout: RowLayout,
    count: number,
    fill: DirectAppend["fill"],
  ): number {
    const written = appendInPlace(this.storePath, {
      table: table.name,
      schema: { ...table.schema },
      layout,
      count,
      start: table.storedRows,
      fill,
    }, CHECKPOINT_OPTIONS);
    this.#fileLayouts.set(table.name, written);
    this.#writeLayouts.set(table.name, written);
    this.#inFile.add(table.name);
    return written.nrows;
  }

  /**
   * One group of rows of `cells` from `done` (up to `APPEND_GROUP_BYTES`, in
   * batches of `APPEND_SLICE_ROWS`) journaled with one sync, then brought
   * into `store.h5`; returns the rows done. When the group cannot be
   * journaled, the groups before it stay appended and the error says how
   * many rows they hold.
   */
  #journalColumns(
    table: Table,
    layout: RowLayout,
    cells: CellColumn[],
    done: number,
    count: number,
  ): number {
    const group: JournalBatch[] = [];
    let bytes = 0;
    let start = table.storedRows;
    let end = done;
    while (end < count && bytes < APPEND_GROUP_BYTES) {
      const to = Math.min(count, end + APPEND_SLICE_ROWS);
      const slice = cells.map((c) => sliceOf(c, end, to));
      const batch = this.#batch(table, layout, slice, start);
      group.push(batch);
      bytes += batch.bytes.length;
      start += to - end;
      end = to;
    }
    try {
      this.#journal!.append(group);
    } catch (error) {
      const E = (error as Error).constructor as ErrorConstructor;
      throw new E(
        `${(error as Error).message}` +
          (done > 0
            ? `; the first ${done} of the ${count} rows given to appendColumns of table "${table.name}" ` +
              `are appended, the rest are not`
            : `; none of the ${count} rows given to appendColumns of table "${table.name}" is appended`),
        { cause: error },
      );
    }
    table.markAppended(end - done);
    this.#unapplied.push(...group);
    this.#applyJournal(false);
    return end;
  }

  /**
   * Brings `store.h5` up to date with the journal (in place, or by a checked
   * replacement when a column must widen), then empties the journal and
   * lets go of the batches: a writer's memory does not grow with the run.
   */
  #checkpoint(): void {
    if (this.#unapplied.length === 0) return;
    let layouts: Map<string, FrameTable>;
    let partial: PartialCheckpointError | null = null;
    try {
      layouts = checkpoint(this.storePath, this.#unapplied, CHECKPOINT_OPTIONS);
    } catch (error) {
      if (!(error instanceof PartialCheckpointError)) {
        this.#fileLayouts.clear();
        throw error;
      }
      partial = error;
      layouts = error.layouts;
    }
    if (partial === null) {
      this.#unapplied = [];
      this.#journal!.clear();
    } else {
      // the journal keeps every batch (a replay skips those in store.h5)
      this.#unapplied = partial.kept;
    }
    this.#fileLayouts.clear();
    for (const [name, layout] of layouts) {
      this.#fileLayouts.set(name, layout);
      this.#writeLayouts.set(name, layout);
      // another writer's rows may have come first: count what is there
      this.#tables.get(name)?.setStoredRows(layout.nrows);
    }
    if (partial !== null) throw partial;
  }

  /**
   * Writes every flushed row to disk: when it returns they are in the
   * journal, synced, and in `store.h5`. When the rows cannot reach the
   * journal (a full disk, a read-only folder) it throws and they stay
   * pending for the next flush. When they are in the journal but
   * `store.h5` cannot take them, it throws a `StoreFileError` saying why;
   * the rows stay safe in the journal and go in at a later flush or open.
   * While another process holds `store.h5` open (pandas, PyTables), the
   * rows wait in the journal and a later flush brings them in.
   */
  flush(): void {
    if (this.mode === "r") return;
    this.#writePending();
    this.#applyJournal(false);
  }

  /** Writes buffered events, and pending rows to the journal (synced). */
  #writePending(): void {
    this.#flushDue = Infinity;
    this.#writer?.flush();
    this.#objectFiles.flush(); // the files of PICKLE cells before the rows naming them
    const dirty = [...this.#tables.values()].filter((t) => t.pendingCount > 0);
    if (dirty.length === 0) return;
    const batches = dirty.map((t) => this.#batchOf(t));
    this.#journal!.append(batches);
    for (const table of dirty) table.markWritten();
    this.#unapplied.push(...batches);
  }

  /** Brings the journal into `store.h5`; `closing` waits longer for readers to let go. */
  #applyJournal(closing: boolean): void {
    if (this.#unapplied.length === 0) return;
    const until = performance.now() + (closing ? 5000 : 0);
    for (;;) {
      try {
        this.#checkpoint();
        return;
      } catch (error) {
        if (!(error instanceof StoreBusyError)) {
          throw new StoreFileError(
            this.storePath,
            `${
              (error as Error).message
            }; ${this.#pendingText()} stay safe in ${this.journalPath} ` +
              `and are written to ${this.storePath} at a later flush or when the run is next opened`,
            { cause: error },
          );
        }
        if (performance.now() >= until) {
          if (!closing) return; // the journal holds them; the next flush tries again
          throw new StoreBusyError(
            this.storePath,
            `${error.message}; ${this.#pendingText()} stay safe in ${this.journalPath} ` +
              `and are written to ${this.storePath} when the run is next opened`,
          );
        }
      }
    }
  }

  #pendingText(): string {
    const counts = new Map<string, number>();
    for (const b of this.#unapplied) {
      counts.set(b.table, (counts.get(b.table) ?? 0) + b.count);
    }
    return [...counts].map(([t, n]) => `${n} rows of table "${t}"`).join(
      ", ",
    );
  }

  /**
   * Copies `store.h5`, with every flushed row in it, to
   * `<run>_snapshot/store.h5` and returns that path, as cox's `snapshot_copy`.
   */
  snapshotCopy(): string {
    if (this.mode === "r") {
      throw new TypeError(
        `Cannot snapshot ${this.storePath}: the store is open read-only`,
      );
    }
    this.#writePending();
    this.#applyJournal(true);
    const folder = `${this.path}_snapshot`;
    Deno.mkdirSync(folder, { recursive: true });
    const target = join(folder, STORE_BASENAME);
    Deno.copyFileSync(this.storePath, `${target}.tmp`);
    Deno.renameSync(`${target}.tmp`, target);
    return target;
  }

  /**
   * A read-only store on the snapshot of a running run (`<expId>_snapshot`),
   * which finds its objects in the original run's `.table_objects/`, as
   * cox's `read_from_running`. Without `expId`, `storageFolder` is the run.
   */
  static readFromRunning(
    storageFolder: string,
    expId?: string,
  ): Promise<Store> {
    let storage = storageFolder;
    let id = expId;
    if (id === undefined) {
      const run = storageFolder.replace(/\/+$/, "");
      storage = dirname(run);
      id = basename(run);
    }
    checkExpId(id);
    return Store.#open(
      storage,
      `${id}_snapshot`,
      { mode: "r" },
      join(storage, id, TABLE_OBJECT_DIR),
    );
  }

  /**
   * Writes pending rows and stops; later writes throw. When the rows cannot
   * be written it throws and the store stays open, so that nothing is lost.
   */
  close(): void {
    if (this.#closed) return;
    let failure: unknown = null;
    if (this.mode !== "r") {
      this.#closeDirect();
      this.#writePending(); // on failure the store stays open: the rows are only in memory
      try {
        this.#applyJournal(true);
      } catch (error) {
        failure = error; // the rows are safe in the journal: close, then say so
      }
    }
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#writer?.close();
    if (this.mode !== "r") {
      release(this.#exitHook);
      this.#lock?.release();
    }
    if (failure !== null) throw failure;
  }

  /**
   * At close, each table's pending rows straight into `store.h5` in one
   * in-place update, as `appendColumns` writes (`appendInPlace`), when the
   * journal holds nothing: no acknowledged row waits on them, so they need
   * no journal record (a kill during `close()` loses only rows never
   * flushed, as before), and they are written once. A table whose rows
   * cannot go in so (another process holding HDF5's lock, a string column
   * to widen, any failure, which leaves the file as it was) keeps them
   * pending for the journal.
   */
  #closeDirect(): void {
    if (this.#unapplied.length > 0) return;
    this.#writer?.flush();
    this.#objectFiles.flush(); // the files of PICKLE cells before the rows naming them
    for (const table of this.#tables.values()) {
      if (table.pendingCount === 0) continue;
      try {
        this.#pendingDirect(table);
      } catch {
        return; // the journal takes these rows and the rest
      }
    }
  }

  /** A table's pending rows straight into `store.h5`, packed from the batch into HDF5's write buffer. */
  #pendingDirect(table: Table): void {
    const pending = table.pendingBatch;
    const names = Object.keys(table.schema);
    const layout = this.#layoutFor(table, (c) => pending.widest(c));
    let columnsFor: RowLayout | null = null;
    let column: number[] = [];
    const nrows = this.#appendInPlace(
      table,
      layout,
      pending.count,
      (into, out, at, index) => {
        if (columnsFor !== into) {
          column = into.columns.map((slot) => names.indexOf(slot.name));
          columnsFor = into;
        }
        const to = at + out.length / into.rowSize;
        pending.encode(into, column, index - at, out, at, to);
      },
    );
    table.markWritten();
    table.setStoredRows(nrows);
  }

  /** At exit: every row into the journal and `store.h5`, and the lock given up. */
  readonly #exitHook = {
    flush: () => {
      try {
        this.close();
      } finally {
        this.#lock?.release();
      }
    },
  };

  /** Closes the store (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  /** The tables as cox's `str(store)` prints them. */
  toString(): string {
    return renderStore(this.#tables);
  }
}

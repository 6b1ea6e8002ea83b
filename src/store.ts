/**
 * A run folder's life: `<storage>/<expId>/` with `store.h5`, `save/`,
 * `.table_objects/` and `tensorboard/`, its tables, and when their rows
 * reach the disk.
 *
 * @module
 */

import { isAbsolute, join, resolve } from "node:path";
import {
  appendRows,
  type Cell,
  createFrameTable,
  describeFrameTable,
  encodeRows,
  type FrameTable,
  isFrameTable,
  type NewColumn,
  readColumns,
  type StoredKind,
  tableKeys,
  widestString,
  widthsExceeded,
} from "./h5/frame_table.ts";
import { AttributeReader } from "./h5/attributes.ts";
import type { H5File } from "./h5/h5wasm.ts";
import { loadH5, StoreFileError, withHdf5 } from "./h5/store_file.ts";
import { PyGlobal, type PyValue } from "./pickle/values.ts";
import { holdUntilExit, release } from "./exit_hooks.ts";
import {
  type ColumnKind,
  formatSchema,
  isColumnKind,
  OBJECT,
  sameSchema,
  type Schema,
  schemaFromExample,
} from "./schema.ts";
import { Table, type TableHost } from "./table.ts";
import { SummaryWriter } from "./tensorboard/summary_writer.ts";
import type { Row } from "./schema.ts";

/** The kinds of summary `logTableAndTb` can write, as tensorboardX's `add_<kind>`. */
export type SummaryType = "scalar" | "histogram" | "text" | "image";
import { serializeObject } from "./objects.ts";
import { warn } from "./warn.ts";
import { renderStore } from "./render.ts";

/** File and folder names inside a run, as cox names them. */
export const STORE_BASENAME = "store.h5";
export const SAVE_DIR = "save";
export const TABLE_OBJECT_DIR = ".table_objects";
export const TENSORBOARD_DIR = "tensorboard";
const COX_DATA = "COX_DATA";

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

/** Checks a table name: one plain HDF5 group name. */
export function checkTableName(name: string): void {
  if (typeof name !== "string" || name.length === 0) {
    throw new TypeError(
      `Cannot use table name ${
        JSON.stringify(name)
      }: expected a non-empty string`,
    );
  }
  if (
    name.includes("/") || name.includes("\0") || name === "." || name === ".."
  ) {
    throw new TypeError(
      `Cannot use table name ${
        JSON.stringify(name)
      }: it must not contain "/" or NUL, nor be "." or ".."`,
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

const PY_TYPE: Record<string, ColumnKind> = {
  "builtins.float": "float",
  "builtins.int": "int",
  "builtins.str": "str",
  "builtins.bool": "bool",
  "__builtin__.float": "float",
  "__builtin__.long": "int",
  "__builtin__.int": "int",
  "__builtin__.unicode": "str",
  "__builtin__.str": "str",
  "__builtin__.bool": "bool",
  "numpy.float64": "float",
  "numpy.float32": "float",
  "numpy.int64": "int",
  "numpy.int32": "int",
  "numpy.bool_": "bool",
};

const KIND_TO_PY: Record<"float" | "int" | "str" | "bool", PyGlobal> = {
  float: new PyGlobal("builtins", "float"),
  int: new PyGlobal("builtins", "int"),
  str: new PyGlobal("builtins", "str"),
  bool: new PyGlobal("builtins", "bool"),
};

/** cox's COX_DATA attribute for a table: `{'schema': {col: type}, 'name': name}`. */
export function coxData(name: string, schema: Schema): PyValue {
  const pySchema: Record<string, PyValue> = {};
  for (const [column, kind] of Object.entries(schema)) {
    pySchema[column] = kind in KIND_TO_PY
      ? KIND_TO_PY[kind as keyof typeof KIND_TO_PY]
      : kind;
  }
  return { schema: pySchema, name };
}

function schemaFromCoxData(path: string, key: string, data: PyValue): Schema {
  const raw =
    data !== null && typeof data === "object" && !(data instanceof Map) &&
      !Array.isArray(data)
      ? (data as Record<string, PyValue>).schema
      : undefined;
  if (
    raw === null || typeof raw !== "object" || Array.isArray(raw) ||
    raw instanceof Map
  ) {
    throw new StoreFileError(
      path,
      `Cannot read table "${key}" in ${path}: its COX_DATA holds no schema dict`,
    );
  }
  const schema: Schema = {};
  for (const [column, t] of Object.entries(raw as Record<string, PyValue>)) {
    const kind = t instanceof PyGlobal
      ? PY_TYPE[`${t.module}.${t.name}`]
      : isColumnKind(t)
      ? t
      : undefined;
    if (kind === undefined) {
      throw new StoreFileError(
        path,
        `Cannot read table "${key}" in ${path}: column "${column}" has schema type ${
          t instanceof PyGlobal ? `${t.module}.${t.name}` : JSON.stringify(t)
        }, expected float, int, str, bool or a cox object kind`,
      );
    }
    schema[column] = kind;
  }
  return schema;
}

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

function storedKind(kind: ColumnKind): StoredKind {
  return kind === "float" || kind === "int" || kind === "bool" ? kind : "str";
}

/** Width with headroom, so that a column is rarely widened (which rewrites the file). */
function roomyWidth(needed: number): number {
  let w = 32;
  while (w < needed) w *= 2;
  return w;
}

interface TableOnDisk {
  schema: Schema;
}

/**
 * A run: its folder, its tables, and their rows on the way to `store.h5`.
 *
 * @example
 * ```ts
 * import { Store } from "../mod.ts";
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
  readonly #layouts = new Map<string, FrameTable>();
  #writer: SummaryWriter | null = null;
  readonly #flushMs: number;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;
  readonly #host: TableHost;

  private constructor(
    root: string,
    expId: string,
    mode: "a" | "r" | "w",
    flushMs: number,
    tableObjectDir?: string,
  ) {
    this.expId = expId;
    this.path = join(root, expId);
    this.saveDir = join(this.path, SAVE_DIR);
    this.tensorboardDir = join(this.path, TENSORBOARD_DIR);
    this.tableObjectDir = tableObjectDir ?? join(this.path, TABLE_OBJECT_DIR);
    this.storePath = join(this.path, STORE_BASENAME);
    this.mode = mode;
    this.#flushMs = flushMs;
    this.#host = {
      readOnlyReason: () => {
        if (this.#closed) return "the store is closed";
        return this.mode === "r"
          ? `the store ${this.storePath} is open read-only`
          : null;
      },
      serialize: (table, column, kind, value) =>
        serializeObject(this.tableObjectDir, table, column, kind, value),
      readStored: (table, limit) => this.#readStored(table, limit),
      countStored: (table) => this.#countStored(table),
      tableObjectDir: this.tableObjectDir,
      rowsPending: () => this.#schedule(),
    };
  }

  /**
   * Opens the run `<storageFolder>/<expId>` (a new uuid4 when absent), as
   * cox's `Store(storage_folder, exp_id, new, mode)` does.
   */
  static async open(
    storageFolder: string,
    expId?: string,
    options: StoreOptions = {},
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
    const store = new Store(root, id, mode, flushMs);
    const runExists = exists(store.path);
    if (options.new && runExists) {
      throw new Deno.errors.AlreadyExists(
        `Cannot create run ${store.path}: it exists already (new: true)`,
      );
    }
    await loadH5();
    if (mode === "r") {
      if (!exists(store.storePath)) {
        throw new Deno.errors.NotFound(
          `Cannot open ${store.storePath} read-only: no such file`,
        );
      }
    } else {
      for (
        const dir of [
          store.path,
          store.saveDir,
          store.tableObjectDir,
          store.tensorboardDir,
        ]
      ) {
        Deno.mkdirSync(dir, { recursive: true });
      }
      if (mode === "w" || !exists(store.storePath)) {
        withHdf5(store.storePath, "w", () => {});
      }
    }
    for (const [name, found] of store.#scan()) {
      store.#tables.set(
        name,
        new Table(name, found.schema, store.#host, null),
      );
    }
    if (mode !== "r") holdUntilExit(store);
    return store;
  }

  /**
   * Reads which cox tables `store.h5` holds and their schemas; layouts and
   * row counts are read when first needed (reading them costs more than
   * the schema, and a reader of many runs may want one table of each).
   */
  #scan(): Map<string, TableOnDisk> {
    return withHdf5(this.storePath, "r", (file) => {
      const found = new Map<string, TableOnDisk>();
      for (const key of file.keys()) {
        const data = new AttributeReader(file, `/${key}`).pickled(COX_DATA);
        if (data === undefined) continue; // not a table cox wrote: cox skips it too
        found.set(key, {
          schema: schemaFromCoxData(this.storePath, key, data),
        });
      }
      return found;
    });
  }

  /** The layout of a table on disk, read once and kept. */
  #layoutOf(file: H5File, name: string): FrameTable {
    let layout = this.#layouts.get(name);
    if (layout === undefined) {
      layout = describeFrameTable(file, name);
      checkLayout(this.storePath, this.#tables.get(name)!.schema, layout);
      this.#layouts.set(name, layout);
    }
    return layout;
  }

  #countStored(name: string): number {
    return withHdf5(
      this.storePath,
      "r",
      (file) => this.#layoutOf(file, name).nrows,
    );
  }

  #readStored(name: string, limit: number | null): Cell[][] {
    const table = this.#tables.get(name)!;
    return withHdf5(this.storePath, "r", (file) => {
      const layout = this.#layoutOf(file, name);
      const columns = readColumns(
        file,
        layout,
        0,
        Math.min(layout.nrows, limit ?? layout.nrows),
      );
      return Object.keys(table.schema).map((c) =>
        columns[layout.columns.findIndex((s) => s.name === c)]
      );
    });
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
    if (this.#host.readOnlyReason() !== null) {
      throw new TypeError(
        `Cannot add table "${name}": ${this.#host.readOnlyReason()}`,
      );
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

  #schedule(): void {
    if (this.#timer !== null || this.#closed) return;
    const timer = setTimeout(() => {
      this.#timer = null;
      try {
        this.flush();
      } catch (error) {
        warn(
          `${
            (error as Error).message
          }; the rows stay pending and will be retried`,
        );
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
    if (!["scalar", "histogram", "text", "image"].includes(summaryType)) {
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

  /** Writes every flushed row to `store.h5`; when it returns, they are on disk. */
  flush(): void {
    if (this.mode === "r") return;
    this.#writer?.flush();
    const dirty = [...this.#tables.values()].filter((t) =>
      t.pendingColumns[0].length > 0
    );
    if (dirty.length === 0) return;
    const written: Table[] = [];
    const toWiden = new Map<string, Map<string, number>>();
    withHdf5(this.storePath, "a", (file) => {
      for (const table of dirty) {
        const layout = this.#layoutFor(file, table);
        const ordered = orderColumns(table, layout);
        const wide = widthsExceeded(layout, ordered);
        if (wide.size > 0) {
          toWiden.set(table.name, wide);
          continue;
        }
        appendRows(file, layout, encodeRows(layout, ordered, layout.nrows));
        written.push(table);
      }
    });
    for (const table of written) table.markWritten();
    if (toWiden.size > 0) this.#rewriteWider(toWiden);
  }

  /**
   * The table's layout on disk, creating the table at its first rows. Layouts
   * are kept between flushes (this store is the run's one writer); the row
   * count on disk is checked each time.
   */
  #layoutFor(file: H5File, table: Table): FrameTable {
    let layout = this.#layouts.get(table.name);
    if (layout === undefined) {
      const cells = table.pendingColumns;
      layout = file.keys().includes(table.name)
        ? this.#layoutOf(file, table.name)
        : createFrameTable(
          file,
          table.name,
          newColumns(table.schema, cells),
          { [COX_DATA]: coxData(table.name, table.schema) },
          chunkRows(table.schema, cells[0].length),
        );
      this.#layouts.set(table.name, layout);
    } else {
      layout.nrows = datasetRows(file, table.name);
    }
    if (layout.nrows !== table.storedRows) {
      this.#layouts.delete(table.name);
      throw new StoreFileError(
        this.storePath,
        `Cannot append to table "${table.name}" in ${this.storePath}: it holds ${layout.nrows} rows, ` +
          `expected ${table.storedRows} (another process wrote to it)`,
      );
    }
    return layout;
  }

  /**
   * Rewrites `store.h5` with wider string columns (h5wasm cannot delete or
   * resize a field): every table is copied into a new file, in the
   * data-columns layout, with the pending rows of `tables`, which then
   * replaces the old file by an atomic rename.
   */
  #rewriteWider(widen: Map<string, Map<string, number>>): void {
    const tmp = `${this.storePath}.rewrite`;
    const copies = withHdf5(
      this.storePath,
      "r",
      (file) => readEverything(file, this.storePath),
    );
    try {
      withHdf5(tmp, "w", (out) => {
        for (const copy of copies) {
          const table = this.#tables.get(copy.key);
          const extra = widen.get(copy.key);
          const pending = extra ? orderColumns(table!, copy.layout) : null;
          const columns: NewColumn[] = copy.layout.columns.map((slot) => {
            const need = Math.max(slot.size, extra?.get(slot.name) ?? 0);
            return {
              name: slot.name,
              kind: slot.kind,
              width: slot.kind === "str" ? roomyWidth(need) : undefined,
            };
          });
          const layout = createFrameTable(
            out,
            copy.key,
            columns,
            copy.attributes,
          );
          appendRows(out, layout, encodeRows(layout, copy.cells, 0));
          if (pending) {
            appendRows(out, layout, encodeRows(layout, pending, layout.nrows));
          }
        }
        for (const [name] of widen) {
          if (copies.some((c) => c.key === name)) continue;
          const table = this.#tables.get(name)!;
          const cells = table.pendingColumns;
          const layout = createFrameTable(
            out,
            name,
            newColumns(table.schema, cells),
            {
              [COX_DATA]: coxData(name, table.schema),
            },
          );
          appendRows(
            out,
            layout,
            encodeRows(layout, orderColumns(table, layout), 0),
          );
        }
      });
      Deno.renameSync(tmp, this.storePath);
      this.#layouts.clear();
    } catch (error) {
      try {
        Deno.removeSync(tmp);
      } catch {
        // nothing to clean up
      }
      throw error;
    }
    for (const [name] of widen) this.#tables.get(name)!.markWritten();
  }

  /** Writes pending rows and stops; later writes throw. */
  close(): void {
    if (this.#closed) return;
    try {
      this.flush();
    } finally {
      this.#closed = true;
      this.#writer?.close();
      if (this.#timer !== null) clearTimeout(this.#timer);
      this.#timer = null;
      release(this);
    }
  }

  /** Closes the store (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  /** The tables as cox's `str(store)` prints them. */
  toString(): string {
    return renderStore(this.#tables);
  }
}

function newColumns(schema: Schema, cells: readonly Cell[][]): NewColumn[] {
  return Object.entries(schema).map(([name, kind], i) => {
    const stored = storedKind(kind);
    if (stored !== "str") return { name, kind: stored };
    return {
      name,
      kind: stored,
      width: roomyWidth(widestString(cells[i] as string[])),
    };
  });
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
  const most = Math.max(128, Math.floor(512 * 1024 / rowSize));
  let rows = 128;
  while (rows < firstBatch && rows < most) rows *= 2;
  return Math.min(rows, most);
}

/** The number of rows in a table's dataset, as HDF5 says. */
function datasetRows(file: H5File, key: string): number {
  const shape = (file.get(`/${key}/table`) as { shape: number[] | null } | null)
    ?.shape;
  return shape?.[0] ?? 0;
}

/** The table's pending cells in the order of the columns on disk. */
function orderColumns(table: Table, layout: FrameTable): Cell[][] {
  const names = Object.keys(table.schema);
  const cells = table.pendingColumns;
  return layout.columns.map((slot) => {
    const i = names.indexOf(slot.name);
    if (i < 0) {
      throw new RangeError(
        `Cannot append to table "${table.name}": column "${slot.name}" is not in its schema`,
      );
    }
    return cells[i];
  });
}

interface TableCopy {
  key: string;
  layout: FrameTable;
  cells: Cell[][];
  attributes: Record<string, PyValue>;
}

function readEverything(file: H5File, path: string): TableCopy[] {
  const copies: TableCopy[] = [];
  for (const key of tableKeys(file)) {
    if (!isFrameTable(file, key)) {
      throw new StoreFileError(
        path,
        `Cannot widen a string column of ${path}: it holds "${key}", which is not a pandas table and would be lost`,
      );
    }
    const layout = describeFrameTable(file, key);
    const attributes: Record<string, PyValue> = {};
    const data = new AttributeReader(file, `/${key}`).pickled(COX_DATA);
    if (data !== undefined) attributes[COX_DATA] = data;
    copies.push({ key, layout, cells: readColumns(file, layout), attributes });
  }
  return copies;
}

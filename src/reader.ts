/**
 * Every run of a sweep in one data frame: cox's `CollectionReader`, on
 * Arquero tables.
 *
 * @module
 */

import { join } from "./path.ts";
import { type DataFrame, dataFrame } from "./data_frame.ts";
import { type Cell, decodeColumn, type FrameTable } from "./h5/frame_table.ts";
import { OBJECT, PICKLE, type Schema } from "./schema.ts";
import { Store } from "./run/store.ts";
import { STORE_BASENAME } from "./run/run_files.ts";
import type { Table } from "./run/table.ts";
import { warn } from "./warn.ts";

export type { DataFrame };

/** How a collection is opened. */
export interface CollectionReaderOptions {
  /** Keep only the runs for which this returns true. */
  expFilter?: (expId: string) => boolean;
  /** Skip a run that cannot be opened, with a warning naming it (default false: throw). */
  skipErrors?: boolean;
  /** Show a progress bar on stderr (default: when stderr is a terminal). */
  progress?: boolean;
  /**
   * Skip `<run>_snapshot` (a copy made by `snapshotCopy()`) when `<run>` is
   * there too (default false: as cox's reader, a snapshot is a run of its own).
   */
  skipSnapshots?: boolean;
}

/** How `df()` concatenates a table across runs. */
export interface DataFrameOptions {
  /** Add an `exp_id` column, last (default true). */
  appendExpId?: boolean;
  /** OBJECT and PICKLE columns to leave as their stored cells. */
  keepSerialized?: string[];
  /** Allow different column sets, filling missing cells with null (default false: throw). */
  unionSchemas?: boolean;
  /** Keep only the runs for which this returns true. */
  expFilter?: (expId: string) => boolean;
  /** Skip a run whose table cannot be read, with a warning (default false: throw). */
  skipErrors?: boolean;
}

interface Part {
  expId: string;
  schema: Schema;
  columns: Record<string, Cell[]>;
  rows: number;
}

/** A progress bar on stderr, redrawn at most every 100 ms. */
class Progress {
  readonly #total: number;
  #last = 0;
  readonly #encoder = new TextEncoder();

  constructor(total: number) {
    this.#total = total;
  }

  update(done: number): void {
    const now = performance.now();
    if (done < this.#total && now - this.#last < 100) return;
    this.#last = now;
    const width = 30;
    const filled = Math.round((done / this.#total) * width);
    const bar = `\r[${"#".repeat(filled)}${
      " ".repeat(width - filled)
    }] ${done}/${this.#total} runs`;
    Deno.stderr.writeSync(
      this.#encoder.encode(done === this.#total ? `${bar}\n` : bar),
    );
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The runs under one folder, opened read-only.
 *
 * @example
 * ```ts
 * import { CollectionReader, Store } from "../mod.ts";
 * const dir = await Deno.makeTempDir();
 * for (const slope of [1, 2]) {
 *   using store = await Store.open(dir, `slope-${slope}`);
 *   store.addTable("metadata", { slope: "int" }).appendRow({ slope });
 * }
 * using reader = await CollectionReader.open(dir);
 * const df = reader.df("metadata");
 * console.assert(df.numRows() === 2);
 * console.assert(df.columnNames().join() === "slope,exp_id");
 * ```
 */
export class CollectionReader {
  /** The folder holding the runs. */
  readonly directory: string;
  /** The runs, by exp id, in name order. */
  readonly stores: ReadonlyMap<string, Store>;
  /** Table name to schema (columns in first-seen order; an int column that is float elsewhere is float). */
  readonly schemas: Readonly<Record<string, Schema>>;

  private constructor(directory: string, stores: Map<string, Store>) {
    this.directory = directory;
    this.stores = stores;
    const schemas: Record<string, Schema> = {};
    for (const store of stores.values()) {
      for (const [name, table] of store.tables) {
        schemas[name] = mergeSchemas(schemas[name], table.schema);
      }
    }
    this.schemas = schemas;
  }

  /** The names of the tables found in any run. */
  get tables(): Set<string> {
    return new Set(Object.keys(this.schemas));
  }

  /**
   * Opens every run folder under `directory` that holds a `store.h5`, as
   * cox's reader does (a `<run>_snapshot` copy too, unless `skipSnapshots`);
   * other entries are skipped.
   */
  static async open(
    directory: string,
    options: CollectionReaderOptions = {},
  ): Promise<CollectionReader> {
    const names: string[] = [];
    for await (const entry of Deno.readDir(directory)) {
      if (options.expFilter && !options.expFilter(entry.name)) continue;
      names.push(entry.name);
    }
    // `<run>_snapshot` (from snapshotCopy) is a copy of a run that is here too
    const all = new Set(names);
    names.splice(
      0,
      names.length,
      ...names.filter((n) =>
        !(options.skipSnapshots && n.endsWith("_snapshot") &&
          all.has(n.slice(0, -"_snapshot".length)))
      ).sort(),
    );
    const showProgress = options.progress ?? Deno.stderr.isTerminal();
    const progress = showProgress && names.length > 1
      ? new Progress(names.length)
      : null;
    const stores = new Map<string, Store>();
    for (const [i, name] of names.entries()) {
      progress?.update(i);
      const storePath = join(directory, name, STORE_BASENAME);
      if (!isFile(storePath)) continue;
      try {
        stores.set(name, await Store.open(directory, name, { mode: "r" }));
      } catch (error) {
        if (!options.skipErrors) {
          for (const store of stores.values()) store.close();
          throw error;
        }
        warn(`skipping run ${name}: ${errorMessage(error)}`);
      }
    }
    progress?.update(names.length);
    return new CollectionReader(directory, stores);
  }

  /**
   * Table `table` of every run, concatenated in run order, as an Arquero table.
   * OBJECT and PICKLE cells are decoded (unless in `keepSerialized`);
   * PYTORCH_STATE cells stay uuids, to be read with `table.getStateDict`.
   */
  df(table: string, options: DataFrameOptions = {}): DataFrame {
    const {
      appendExpId = true,
      keepSerialized = [],
      unionSchemas = false,
      skipErrors = false,
    } = options;
    const runs: [string, Store][] = [];
    for (const [expId, store] of this.stores) {
      if (options.expFilter && !options.expFilter(expId)) continue;
      if (!store.tables.has(table)) {
        warn(`run ${expId} has no table "${table}"; skipping it`);
        continue;
      }
      runs.push([expId, store]);
    }
    // the frame's columns come from the runs' schemas (known since open):
    // each run's rows are decoded straight into them
    let schema: Schema = {};
    for (const [, store] of runs) {
      schema = mergeSchemas(schema, store.table(table).schema);
    }
    const heads = runs.map(([expId, store]) => ({
      expId,
      schema: store.table(table).schema,
    }));
    if (!unionSchemas) checkSameColumns(table, heads, Object.keys(schema));
    checkKinds(table, heads, schema);
    const frame = new FrameBuilder(
      schema,
      heads,
      Math.min(
        runs.reduce((n, [, store]) => n + expectedRows(store.table(table)), 0),
        MAX_EXPECTED_ROWS,
      ),
    );
    const read: [string, Store][] = [];
    for (const [expId, store] of runs) {
      try {
        const own = store.table(table);
        let rows: number | null = null;
        if (
          !Object.entries(own.schema).some(([c, k]) =>
            (k === OBJECT || k === PICKLE) && !keepSerialized.includes(c)
          )
        ) {
          rows = store.withRawRows(
            table,
            (layout, bytes) => frame.addRaw(own.schema, layout, bytes),
          );
        }
        if (rows === null) {
          const part = readPart(expId, own, keepSerialized);
          frame.addCells(part.columns, part.rows);
          rows = part.rows;
        }
        frame.endRun(expId, rows);
        read.push([expId, store]);
      } catch (error) {
        const message =
          `Cannot read table "${table}" of run ${expId} in ${this.directory}: ${
            errorMessage(error)
          }`;
        if (!skipErrors) throw new Error(message, { cause: error });
        warn(`skipping run ${expId}: ${message}`);
      }
    }
    if (read.length < runs.length) {
      // a run was skipped: the columns are those of the runs read, as before
      const parts = read.map(([expId, store]) =>
        readPart(expId, store.table(table), keepSerialized)
      );
      return concatParts(table, parts, unionSchemas, appendExpId);
    }
    return dataFrame(frame.finish(appendExpId));
  }

  /** Closes every store. */
  close(): void {
    for (const store of this.stores.values()) store.close();
  }

  /** Closes every store (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  /** The tables and their columns, as cox's `str(reader)`. */
  toString(): string {
    return Object.entries(this.schemas)
      .map(([name, schema]) =>
        `-- Table: ${name} --\n${Object.keys(schema).join(", ")}`
      )
      .join("\n");
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * Columns are made for at most this many rows up front, and each run counts
 * for at most MAX_EXPECTED_RUN_ROWS: a row count is only what a file claims
 * (a deflate bomb claims tens of millions of rows and is refused only when
 * read), and past it the columns grow by doubling.
 */
const MAX_EXPECTED_ROWS = 1 << 24;
const MAX_EXPECTED_RUN_ROWS = 1 << 20;

/** A table's rows as counted so far, as a hint for the columns' size (0 when it cannot be counted: reading it says why). */
function expectedRows(table: Table): number {
  try {
    return Math.min(table.nrows, MAX_EXPECTED_RUN_ROWS);
  } catch {
    return 0;
  }
}

/** Schemas of one table in two runs: the union of columns, int and float made float. */
function mergeSchemas(a: Schema | undefined, b: Readonly<Schema>): Schema {
  if (a === undefined) return { ...b };
  const out: Schema = { ...a };
  for (const [column, kind] of Object.entries(b)) {
    const had = out[column];
    if (had === undefined) out[column] = kind;
    else if (had !== kind && isNumeric(had) && isNumeric(kind)) {
      out[column] = "float";
    }
  }
  return out;
}

function isNumeric(kind: string): boolean {
  return kind === "int" || kind === "float";
}

/** Reads one run's table as columns, decoding OBJECT and PICKLE cells. */
function readPart(expId: string, table: Table, keepSerialized: string[]): Part {
  const columns = table.decodedColumns(keepSerialized) as Record<
    string,
    Cell[]
  >;
  const first = Object.values(columns)[0];
  return {
    expId,
    schema: table.schema,
    columns,
    rows: first ? first.length : 0,
  };
}

/**
 * The columns of a frame, filled run by run: a float column that every run
 * has is one `Float64Array`, any other an array of cells, each written in
 * place (no per-run arrays to join). Arrays are made at their expected size
 * with `fill` (V8 keeps them packed; appending to a growing array of
 * millions of cells costs several times more).
 */
class FrameBuilder {
  readonly #names: string[];
  readonly #floats: Map<string, Float64Array>;
  readonly #cells: Map<string, unknown[]>;
  #expIds: unknown[];
  #rows = 0;
  #capacity: number;

  constructor(
    schema: Schema,
    runs: { schema: Readonly<Schema> }[],
    expected: number,
  ) {
    this.#names = Object.keys(schema);
    this.#capacity = expected;
    this.#floats = new Map();
    this.#cells = new Map();
    for (const name of this.#names) {
      if (schema[name] === "float" && runs.every((r) => name in r.schema)) {
        this.#floats.set(name, new Float64Array(expected));
      } else this.#cells.set(name, new Array(expected).fill(null));
    }
    this.#expIds = new Array(expected).fill(null);
  }

  #reserve(rows: number): void {
    const needed = this.#rows + rows;
    if (needed <= this.#capacity) return;
    this.#capacity = Math.max(needed, this.#capacity * 2);
    for (const [name, old] of this.#floats) {
      const grown = new Float64Array(this.#capacity);
      grown.set(old.subarray(0, this.#rows));
      this.#floats.set(name, grown);
    }
    const grow = (old: unknown[]) => {
      const grown = new Array(this.#capacity).fill(null);
      for (let i = 0; i < this.#rows; i++) grown[i] = old[i];
      return grown;
    };
    for (const [name, old] of this.#cells) this.#cells.set(name, grow(old));
    this.#expIds = grow(this.#expIds);
  }

  /**
   * Decodes a run's raw rows into the columns; returns their number, or null
   * (nothing written) when the layout lacks a column of the run's schema.
   */
  addRaw(
    own: Readonly<Schema>,
    layout: FrameTable,
    bytes: Uint8Array,
  ): number | null {
    const slots = new Map(layout.columns.map((slot) => [slot.name, slot]));
    if (Object.keys(own).some((c) => !slots.has(c))) return null;
    const n = Math.floor(bytes.length / layout.rowSize);
    this.#reserve(n);
    const at = this.#rows;
    for (const name of this.#names) {
      const slot = own[name] === undefined ? undefined : slots.get(name);
      const floats = this.#floats.get(name);
      if (floats !== undefined) {
        if (slot!.encoding === "f8" || slot!.encoding === "f4") {
          decodeColumn(layout, slot!, bytes, floats, at);
        } else {
          const cells: Cell[] = [];
          decodeColumn(layout, slot!, bytes, cells, 0);
          for (let i = 0; i < n; i++) floats[at + i] = Number(cells[i]);
        }
        continue;
      }
      const cells = this.#cells.get(name)!;
      if (slot === undefined) {
        for (let i = at; i < at + n; i++) cells[i] = null;
      } else decodeColumn(layout, slot, bytes, cells as Cell[], at);
    }
    return n;
  }

  /** Copies a run's decoded cells (one array per column, by name) into the columns. */
  addCells(columns: Record<string, ArrayLike<unknown>>, n: number): void {
    this.#reserve(n);
    const at = this.#rows;
    for (const name of this.#names) {
      const from = columns[name];
      const floats = this.#floats.get(name);
      if (floats !== undefined) {
        const cells = from as unknown[];
        if (cells.every((c) => typeof c === "number")) {
          floats.set(cells as number[], at);
        } else {
          for (let i = 0; i < n; i++) floats[at + i] = Number(cells[i]);
        }
        continue;
      }
      const cells = this.#cells.get(name)!;
      for (let i = 0; i < n; i++) {
        cells[at + i] = from === undefined ? null : from[i];
      }
    }
  }

  /** Ends a run of `rows` rows (written by addRaw or addCells). */
  endRun(expId: string, rows: number): void {
    this.#expIds.fill(expId, this.#rows, this.#rows + rows);
    this.#rows += rows;
  }

  /** The columns, in schema order, and `exp_id` last when asked. */
  finish(appendExpId: boolean): Record<string, ArrayLike<unknown>> {
    const out: Record<string, ArrayLike<unknown>> = {};
    const rows = this.#rows;
    for (const name of this.#names) {
      const floats = this.#floats.get(name);
      if (floats !== undefined) {
        out[name] = floats.length === rows ? floats : floats.slice(0, rows);
      } else {
        const cells = this.#cells.get(name)!;
        cells.length = rows;
        out[name] = cells;
      }
    }
    if (appendExpId) {
      this.#expIds.length = rows;
      out.exp_id = this.#expIds;
    }
    return out;
  }
}

function concatParts(
  table: string,
  parts: Part[],
  unionSchemas: boolean,
  appendExpId: boolean,
): DataFrame {
  let schema: Schema | undefined;
  for (const part of parts) schema = mergeSchemas(schema, part.schema);
  schema ??= {};
  const names = Object.keys(schema);
  if (!unionSchemas) checkSameColumns(table, parts, names);
  checkKinds(table, parts, schema);
  const total = parts.reduce((n, p) => n + p.rows, 0);
  const out: Record<string, ArrayLike<unknown>> = {};
  for (const name of names) {
    const complete = parts.every((p) => p.columns[name] !== undefined);
    // float columns without gaps go in a Float64Array: less memory, faster to build
    if (schema[name] === "float" && complete) {
      const column = new Float64Array(total);
      let at = 0;
      for (const part of parts) {
        const cells = part.columns[name];
        if (cells.every((c) => typeof c === "number")) {
          column.set(cells as number[], at);
        } else {for (let i = 0; i < cells.length; i++) {
            column[at + i] = Number(cells[i]);
          }}
        at += part.rows;
      }
      out[name] = column;
    } else {
      out[name] = concatCells(
        parts.map((p) => p.columns[name] ?? repeated(null, p.rows)),
      );
    }
  }
  if (appendExpId) {
    out.exp_id = concatCells(parts.map((p) => repeated(p.expId, p.rows)));
  }
  return dataFrame(out);
}

/**
 * The parts' cells in one array, by `Array.prototype.concat` (one copy in
 * native code; a preallocated array of 100k+ holes is a slow dictionary in V8,
 * and pushing cell by cell costs more).
 */
function concatCells(parts: ArrayLike<unknown>[]): unknown[] {
  let out: unknown[] = [];
  // concat takes its arrays as arguments: a few thousand at a time
  for (let i = 0; i < parts.length; i += 4096) {
    out = out.concat(...(parts.slice(i, i + 4096) as unknown[][]));
  }
  return out;
}

/** `count` copies of `value`. */
function repeated<T>(value: T, count: number): T[] {
  if (count < 65536) return new Array<T>(count).fill(value);
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push(value);
  return out;
}

type Head = Pick<Part, "expId" | "schema">;

function checkSameColumns(table: string, parts: Head[], names: string[]): void {
  const problems: string[] = [];
  for (const part of parts) {
    const missing = names.filter((n) => !(n in part.schema));
    if (missing.length > 0) {
      const owner = parts.find((p) =>
        missing.every((m) => m in p.schema)
      )?.expId ?? "another run";
      problems.push(
        `run ${part.expId} lacks ${
          missing.map((m) => `"${m}"`).join(", ")
        } (found in ${owner})`,
      );
    }
  }
  if (problems.length > 0) {
    throw new TypeError(
      `Cannot concatenate table "${table}": its columns differ between runs: ${
        problems.join("; ")
      }. ` +
        `Pass unionSchemas: true to fill missing cells with null`,
    );
  }
}

function checkKinds(table: string, parts: Head[], schema: Schema): void {
  for (const [name, kind] of Object.entries(schema)) {
    for (const part of parts) {
      const own = part.schema[name];
      if (
        own === undefined || own === kind || (kind === "float" && own === "int")
      ) continue;
      const other = parts.find((p) => p.schema[name] === kind)!;
      throw new TypeError(
        `Cannot concatenate column "${name}" of table "${table}": it is ${own} in run ${part.expId} ` +
          `but ${kind} in run ${other.expId}`,
      );
    }
  }
}

/**
 * A table of a run: its schema, the one working row cox stages, and the rows
 * flushed but not yet written to `store.h5`.
 *
 * @module
 */

import type { Cell } from "../h5/frame_table.ts";
import type { PyValue } from "../pickle/values.ts";
import type { UnpickleOptions } from "../pickle/read.ts";
import type { StateDict } from "../torch/mod.ts";
import { decodeObject, loadPickle, loadStateDict } from "./objects.ts";
import { type DataFrame, dataFrame } from "../data_frame.ts";
import { renderTable } from "../render.ts";
import {
  type CellColumn,
  checkColumns,
  type ColumnArrays,
} from "./column_arrays.ts";
import { RowBatch } from "./row_batch.ts";
import {
  checkValue,
  type ColumnKind,
  type Columns,
  type NumpyType,
  OBJECT,
  PICKLE,
  type Row,
  type Schema,
  type StoredRow,
} from "../schema.ts";

/** What a table needs from the store that owns it. */
export interface TableHost {
  /** Why writes are refused (a read-only store), or null when allowed. */
  readOnlyReason(): string | null;
  /** Turns a value of an object kind into the cell stored for it. */
  serialize(
    table: string,
    column: string,
    kind: ColumnKind,
    value: unknown,
  ): string;
  /** How many rows of the table are in `store.h5`. */
  countStored(table: string): number;
  /**
   * Reads rows `[start, stop)` of those already in `store.h5` or its
   * journal (all when `stop` is null: refused past MAX_WHOLE_READ_BYTES),
   * one array per column in schema order.
   */
  readStored(table: string, start: number, stop: number | null): Cell[][];
  /** Tells the store that rows are pending. */
  rowsPending(): void;
  /**
   * Flushes when rows have waited `flushMs`, or when the pending rows of
   * every table take about `flushBytes` (checked every few hundred rows).
   */
  flushIfDue(): void;
  /**
   * Journals checked columns (in schema order) after the table's pending
   * rows, then brings them into `store.h5`.
   */
  appendColumns(table: Table, cells: CellColumn[], count: number): void;
  /** Where PICKLE and PYTORCH_STATE cells point. */
  readonly tableObjectDir: string;
}

/**
 * The most bytes of rows (as stored) that `columns()`, `rows()` and `df()`
 * read at once (1 GiB); a bigger table is read by ranges.
 */
export const MAX_WHOLE_READ_BYTES = 1 << 30;

/**
 * Rows `[start, stop)` of a table, as in Python's slices: `start` defaults
 * to 0, `stop` to the table's row count, a negative value counts from the
 * end, and both are clamped to the rows there are.
 */
export interface RowRange {
  /** First row (default 0). */
  start?: number;
  /** Row after the last (default: the row count). */
  stop?: number;
}

/** A row index counted from the start (not from the end). */
function isIndex(value: number | undefined): value is number {
  return Number.isSafeInteger(value) && value! >= 0;
}

const OBJECT_KINDS = new Set<ColumnKind>([
  "__object__",
  "__pickle__",
  "__pytorch_state__",
]);

/** One table of a store; its row type follows from its schema. */
export class Table<S extends Schema = Schema> {
  /** The table's name (its key in `store.h5`). */
  readonly name: string;
  readonly #schema: Readonly<S>;
  readonly #names: (keyof S & string)[];
  readonly #kinds: ColumnKind[];
  /** numpy types of columns a Python cox schema gave one (`np.int8`). */
  readonly #numpy: (NumpyType | undefined)[];
  readonly #index: Map<string, number>;
  readonly #host: TableHost;
  #working: unknown[];
  #workingSet = 0;
  /** Rows flushed and not yet in the journal, packed. */
  readonly #pending: RowBatch;
  /** Whether a column holds an object kind (its values are serialized before they are taken). */
  readonly #hasObjects: boolean;
  #storedRows: number | null;
  #sinceClock = 0;

  /** @internal Tables are made by `Store.addTable` or found by `Store.open`. */
  constructor(
    name: string,
    schema: S,
    host: TableHost,
    storedRows: number | null = 0,
    numpyTypes: Readonly<Record<string, NumpyType>> = {},
  ) {
    this.name = name;
    this.#schema = Object.freeze({ ...schema });
    this.#names = Object.keys(schema) as (keyof S & string)[];
    this.#kinds = this.#names.map((n) => schema[n]);
    this.#numpy = this.#names.map((n) => numpyTypes[n]);
    this.#index = new Map(this.#names.map((n, i) => [n, i]));
    this.#host = host;
    this.#working = new Array(this.#names.length).fill(undefined);
    this.#pending = new RowBatch(name, this.#names, this.#kinds, this.#numpy);
    this.#hasObjects = this.#kinds.some((k) => OBJECT_KINDS.has(k));
    this.#storedRows = storedRows;
  }

  /** Column name to kind, in column order. */
  get schema(): Readonly<S> {
    return this.#schema;
  }

  /** Rows in the table: those in `store.h5` plus those flushed and pending. */
  get nrows(): number {
    return this.storedRows + this.#pending.count;
  }

  /** @internal Rows flushed but not yet written, packed. */
  get pendingBatch(): RowBatch {
    return this.#pending;
  }

  /** @internal How many rows are pending. */
  get pendingCount(): number {
    return this.#pending.count;
  }

  /** @internal About how many bytes the pending rows take packed. */
  get pendingBytes(): number {
    return this.#pending.bytes;
  }

  /** @internal Sets the rows in `store.h5` (another writer's may have come first). */
  setStoredRows(n: number): void {
    this.#storedRows = n;
  }

  /** @internal Rows already in `store.h5`. */
  get storedRows(): number {
    this.#storedRows ??= this.#host.countStored(this.name);
    return this.#storedRows;
  }

  #refuseIfReadOnly(action: string): void {
    const reason = this.#host.readOnlyReason();
    if (reason !== null) {
      throw new TypeError(`Cannot ${action} table "${this.name}": ${reason}`);
    }
  }

  #columnIndex(column: string): number {
    const i = this.#index.get(column);
    if (i === undefined) {
      throw new RangeError(
        `Cannot set column "${column}" of table "${this.name}": no such column; ` +
          `the table has ${this.#names.map((n) => `"${n}"`).join(", ")}`,
      );
    }
    return i;
  }

  /**
   * Merges values into the working row. Every value is checked before any is
   * taken, so a bad value leaves the working row as it was.
   */
  updateRow(values: Partial<Row<S>>): void {
    this.#refuseIfReadOnly("update");
    const entries = Object.entries(values);
    const checked: [number, unknown][] = [];
    for (const [column, value] of entries) {
      const i = this.#columnIndex(column);
      if (value === undefined) {
        throw new TypeError(
          `Cannot set column "${column}" of table "${this.name}" to undefined: expected ${
            this.#kinds[i]
          }`,
        );
      }
      checked.push([
        i,
        checkValue(
          this.name,
          column,
          this.#kinds[i],
          value,
          this.#numpy[i],
        ),
      ]);
    }
    for (const [i, value] of checked) {
      if (this.#working[i] === undefined) this.#workingSet++;
      this.#working[i] = value;
    }
  }

  /**
   * Commits the working row and starts an empty one. Throws a RangeError
   * naming the unset columns; the working row is then kept to be completed.
   */
  flushRow(): void {
    this.#refuseIfReadOnly("flush a row of");
    if (this.#workingSet !== this.#names.length) {
      const missing = this.#names.filter((_, i) =>
        this.#working[i] === undefined
      );
      throw new RangeError(
        `Cannot flush the row of table "${this.name}": column${
          missing.length > 1 ? "s" : ""
        } ` +
          `${missing.map((m) => `"${m}"`).join(", ")} ${
            missing.length > 1 ? "are" : "is"
          } unset`,
      );
    }
    const cells = this.#toCells(this.#working);
    this.#push(cells);
    this.#working = new Array(this.#names.length).fill(undefined);
    this.#workingSet = 0;
  }

  /** Writes a whole row: `updateRow(row)` then `flushRow()`, as in cox. */
  appendRow(row: Row<S>): void {
    if (this.#workingSet !== 0) {
      this.updateRow(row);
      this.flushRow();
      return;
    }
    // fast path: nothing staged, so check the row as a whole and push it
    this.#refuseIfReadOnly("append to");
    if (this.#hasObjects) {
      this.#push(this.#toCells(this.#checkWhole(row)));
      return;
    }
    // a row of exactly the schema's columns (as many keys, none missing):
    // each value is checked and packed at once, and a bad one leaves the
    // row uncommitted (the next row is packed over it); any other row is
    // checked as a whole, which names what is wrong
    const names = this.#names;
    const values = row as Record<string, unknown>;
    let keys = 0;
    for (const _ in values) keys++;
    let whole = keys === names.length;
    for (let i = 0; whole && i < names.length; i++) {
      if (values[names[i]] === undefined) whole = false;
    }
    if (!whole) this.#checkWhole(row);
    const batch = this.#pending;
    batch.begin();
    for (let i = 0; i < names.length; i++) batch.put(i, values[names[i]]);
    batch.commit();
    this.#pushed();
  }

  /** Checks every value of a whole row; throws naming any missing column. */
  #checkWhole(row: Row<S>): unknown[] {
    const names = this.#names;
    const values = new Array(names.length);
    let given = 0;
    for (const column in row) {
      const i = this.#columnIndex(column);
      const value = (row as Record<string, unknown>)[column];
      if (value === undefined) continue;
      values[i] = checkValue(
        this.name,
        column,
        this.#kinds[i],
        value,
        this.#numpy[i],
      );
      given++;
    }
    if (given !== names.length) {
      const missing = names.filter((_, i) => values[i] === undefined);
      throw new RangeError(
        `Cannot append a row to table "${this.name}": missing ${
          missing.map((m) => `"${m}"`).join(", ")
        }`,
      );
    }
    return values;
  }

  /**
   * Appends whole columns at once: `{ loss: Float64Array, epoch:
   * BigInt64Array | number[], tag: string[] }`, every column of the schema,
   * all of one length. Every value is checked first (an error names the
   * column, the row and the value, and nothing is appended); rows pending
   * from `appendRow` come first. When it returns the rows are in the
   * journal, synced, like rows after `flush()`. The typed arrays are read,
   * not kept.
   */
  appendColumns(columns: ColumnArrays<S>): void {
    this.#refuseIfReadOnly("append columns to");
    const { cells, count } = checkColumns(
      this.name,
      this.#schema,
      this.#numpy,
      columns as Record<string, unknown>,
      (column, kind, value) =>
        this.#host.serialize(this.name, column, kind, value),
    );
    if (count === 0) return;
    this.#host.appendColumns(this, cells, count);
  }

  /** @internal Called by the store once rows appended as columns are journaled. */
  markAppended(count: number): void {
    this.#storedRows = this.storedRows + count;
  }

  #toCells(values: unknown[]): Cell[] {
    const kinds = this.#kinds;
    let cells = values as Cell[];
    for (let i = 0; i < kinds.length; i++) {
      if (OBJECT_KINDS.has(kinds[i])) {
        if (cells === values) cells = values.slice() as Cell[];
        cells[i] = this.#host.serialize(
          this.name,
          this.#names[i],
          kinds[i],
          values[i],
        );
      }
    }
    return cells;
  }

  /** Packs a row of checked cells (object kinds serialized). */
  #push(cells: Cell[]): void {
    const batch = this.#pending;
    batch.begin();
    for (let i = 0; i < cells.length; i++) batch.putChecked(i, cells[i]);
    batch.commit();
    this.#pushed();
  }

  /** After a row is taken: the timer, and every 256 rows the clock. */
  #pushed(): void {
    if (this.#pending.count === 1) this.#host.rowsPending();
    // the clock, not only the timer: a loop that never awaits never lets it run
    if (++this.#sinceClock >= 256) {
      this.#sinceClock = 0;
      this.#host.flushIfDue();
    }
  }

  /** @internal Called by the store once pending rows are in the journal. */
  markWritten(): void {
    this.#storedRows = this.storedRows + this.#pending.count;
    this.#pending.clear();
  }

  /** `range` as `[start, stop)` within `[0, nrows]`. */
  #bounds(range: RowRange): [number, number] {
    const n = this.nrows;
    const at = (value: number | undefined, fallback: number, what: string) => {
      if (value === undefined) return fallback;
      if (!Number.isInteger(value)) {
        throw new TypeError(
          `Cannot read rows of table "${this.name}": ${what} is ${value}, expected an integer`,
        );
      }
      return Math.min(n, Math.max(0, value < 0 ? n + value : value));
    };
    const start = at(range.start, 0, "start");
    return [start, Math.max(start, at(range.stop, n, "stop"))];
  }

  /**
   * Rows `[start, stop)`, stored and pending, one array per column. Only
   * the stored rows of the range are read (memory does not grow with the
   * run); a read of the whole table is refused past MAX_WHOLE_READ_BYTES.
   */
  #read(range: RowRange | undefined): Cell[][] {
    if (
      range !== undefined && isIndex(range.start) && isIndex(range.stop) &&
      this.#pending.count === 0 && this.#host.readOnlyReason() !== null
    ) {
      // a reader's range from the start: the store clamps it to the rows
      // there are, so the row count (one more read of store.h5) is not needed
      return this.#host.readStored(
        this.name,
        range.start,
        Math.max(range.start, range.stop),
      );
    }
    const whole = range === undefined ||
      (range.start === undefined && range.stop === undefined);
    const [start, stop] = this.#bounds(range ?? {});
    const stored = this.storedRows;
    const out = stored === 0 || (start >= stored && !whole)
      ? this.#names.map(() => [] as Cell[])
      : this.#host.readStored(
        this.name,
        start,
        whole ? null : Math.min(stop, stored),
      );
    if (whole) this.#storedRows = out.length > 0 ? out[0].length : 0;
    const base = this.storedRows;
    const from = Math.max(start, base) - base;
    const to = whole ? this.pendingCount : stop - base;
    if (to > from) {
      const pending = this.#pending.cells(from, to);
      out.forEach((column, i) => {
        for (const cell of pending[i]) column.push(cell);
      });
    }
    return out;
  }

  /**
   * Every row (stored and pending), or those of `range`, one array per
   * column, in column order. A table whose rows take more than
   * MAX_WHOLE_READ_BYTES is read by ranges (a whole read throws a
   * RangeError naming its size).
   */
  columns(range?: RowRange): Columns<S> {
    const cells = this.#read(range);
    const out = {} as Record<string, Cell[]>;
    this.#names.forEach((name, i) => out[name] = cells[i]);
    return out as Columns<S>;
  }

  /**
   * Every row (stored and pending), or those of `range`, as an object, in
   * order (see `columns` for big tables).
   *
   * @example
   * ```ts
   * import { Store } from "../../mod.ts";
   * using store = await Store.open(await Deno.makeTempDir());
   * const log = store.addTable("log", { step: "int" });
   * for (let step = 0; step < 10; step++) log.appendRow({ step });
   * const last = log.rows({ start: -2 });
   * console.assert(last.length === 2 && last[1].step === 9);
   * ```
   */
  rows(range?: RowRange): StoredRow<S>[] {
    const cells = this.#read(range);
    const names = this.#names;
    const n = cells.length > 0 ? cells[0].length : 0;
    const out: StoredRow<S>[] = new Array(n);
    for (let r = 0; r < n; r++) {
      const row = {} as Record<string, Cell>;
      for (let c = 0; c < names.length; c++) row[names[c]] = cells[c][r];
      out[r] = row as StoredRow<S>;
    }
    return out;
  }

  /** The working row's values so far (unset columns are absent). */
  get workingRow(): Partial<Row<S>> {
    const out: Record<string, unknown> = {};
    this.#names.forEach((name, i) => {
      if (this.#working[i] !== undefined) out[name] = this.#working[i];
    });
    return out as Partial<Row<S>>;
  }

  /** The object an OBJECT cell holds (cox's `Table.get_object`). */
  getObject(cell: string, options?: UnpickleOptions): PyValue {
    return decodeObject(cell, options);
  }

  /** The object a PICKLE cell names, from `.table_objects/<uuid>` (cox's `get_pickle`). */
  getPickle(uuid: string, options?: UnpickleOptions): PyValue {
    return loadPickle(this.#host.tableObjectDir, uuid, options);
  }

  /** The state dict a PYTORCH_STATE cell names (cox's `get_state_dict`). */
  getStateDict(uuid: string): StateDict {
    return loadStateDict(this.#host.tableObjectDir, uuid);
  }

  /**
   * Every row's columns with OBJECT and PICKLE cells decoded (unless named
   * in `keepSerialized`), as cox's `CollectionReader.df` gives them;
   * PYTORCH_STATE cells stay uuids, for `getStateDict`.
   */
  decodedColumns(
    keepSerialized: readonly string[] = [],
  ): Record<string, unknown[]> {
    const columns = this.columns() as Record<string, Cell[]>;
    const out: Record<string, unknown[]> = {};
    this.#names.forEach((name, i) => {
      const kind = this.#kinds[i];
      const decode = (kind === OBJECT || kind === PICKLE) &&
        !keepSerialized.includes(name);
      out[name] = decode
        ? columns[name].map((cell) =>
          kind === OBJECT
            ? this.getObject(cell as string)
            : this.getPickle(cell as string)
        )
        : columns[name];
    });
    return out;
  }

  /** The rows as an Arquero table of stored cells, as cox's `table.df`. */
  df(): DataFrame {
    return dataFrame(this.columns() as Record<string, Cell[]>);
  }

  /** The table as cox's `str(table)` prints it: its first rows, pandas-style. */
  toString(): string {
    return renderTable(this);
  }
}

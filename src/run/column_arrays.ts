/**
 * Whole columns given at once (`Table.appendColumns`): the types they may
 * have, and the check that turns them into cells before any row is taken.
 *
 * @module
 */

import type { Cell } from "../h5/frame_table.ts";
import {
  checkValue,
  type ColumnKind,
  describe,
  MAX_STR_BYTES,
  type NumpyType,
  type Schema,
  type ValueOf,
} from "../schema.ts";

/** Typed arrays a float column takes whole. */
export type FloatArray = Float64Array | Float32Array;

/** Typed arrays an int column takes whole. */
export type IntArray =
  | BigInt64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

/** What one column of kind `K` may be given as: a typed array or a plain array. */
export type ColumnArrayOf<K extends ColumnKind> = K extends "float"
  ? FloatArray | readonly number[]
  : K extends "int" ? IntArray | readonly (number | bigint)[]
  : readonly ValueOf<K>[];

/** Every column of a table with schema `S`, all of one length. */
export type ColumnArrays<S extends Schema> = {
  [C in keyof S]: ColumnArrayOf<S[C]>;
};

/**
 * A checked column: cells, or a typed array kept as given (its values need
 * no change to be stored, so they are not copied).
 */
export type CellColumn = Cell[] | FloatArray | IntArray;

const OBJECT_KINDS = new Set<ColumnKind>([
  "__object__",
  "__pickle__",
  "__pytorch_state__",
]);

function isArrayLike(value: unknown): value is ArrayLike<unknown> {
  return Array.isArray(value) ||
    (ArrayBuffer.isView(value) && !(value instanceof DataView));
}

/**
 * Checks every column and value up front and returns the columns in
 * schema order: a missing, unknown or short column, or a bad value, throws
 * (naming the table, column, row and value) before anything is taken.
 * Cost: one pass over the values; a typed array of the column's kind is
 * checked without being copied (a Float64Array not even read).
 */
export function checkColumns(
  table: string,
  schema: Schema,
  numpy: readonly (NumpyType | undefined)[],
  columns: Record<string, unknown>,
  serialize: (column: string, kind: ColumnKind, value: unknown) => string,
): { cells: CellColumn[]; count: number } {
  const names = Object.keys(schema);
  const where = `Cannot append columns to table "${table}"`;
  if (columns === null || typeof columns !== "object") {
    throw new TypeError(
      `${where}: expected an object of columns, got ${describe(columns)}`,
    );
  }
  for (const given of Object.keys(columns)) {
    if (!(given in schema)) {
      throw new RangeError(
        `${where}: it has no column "${given}"; its columns are ${
          names.map((n) => `"${n}"`).join(", ")
        }`,
      );
    }
  }
  let count = -1;
  let first = "";
  for (const name of names) {
    const values = columns[name];
    if (values === undefined) {
      throw new RangeError(`${where}: column "${name}" is missing`);
    }
    if (!isArrayLike(values)) {
      throw new TypeError(
        `${where}: column "${name}" is ${
          describe(values)
        }; expected an array or a typed array`,
      );
    }
    if (count === -1) {
      count = values.length;
      first = name;
    } else if (values.length !== count) {
      throw new RangeError(
        `${where}: column "${name}" has ${values.length} values but "${first}" has ${count}; ` +
          `all columns must have the same length`,
      );
    }
  }
  // object cells are made (PICKLE files written) only once every other column passed
  const order = names.map((_, c) => c).sort((a, b) =>
    Number(OBJECT_KINDS.has(schema[names[a]])) -
    Number(OBJECT_KINDS.has(schema[names[b]]))
  );
  const cells: CellColumn[] = new Array(names.length);
  for (const c of order) {
    cells[c] = checkColumn(
      table,
      names[c],
      schema[names[c]],
      numpy[c],
      columns[names[c]] as ArrayLike<unknown>,
      serialize,
    );
  }
  return { cells, count: Math.max(count, 0) };
}

/** A typed array whose values an int column stores as they are. */
function isIntArray(values: ArrayLike<unknown>): values is IntArray {
  return values instanceof BigInt64Array || values instanceof Int32Array ||
    values instanceof Uint32Array || values instanceof Int16Array ||
    values instanceof Uint16Array || values instanceof Int8Array ||
    values instanceof Uint8Array;
}

function checkColumn(
  table: string,
  column: string,
  kind: ColumnKind,
  numpy: NumpyType | undefined,
  values: ArrayLike<unknown>,
  serialize: (column: string, kind: ColumnKind, value: unknown) => string,
): CellColumn {
  const n = values.length;
  // every double is a float cell (NaN too): nothing to check
  if (
    kind === "float" &&
    (values instanceof Float64Array || values instanceof Float32Array)
  ) {
    return values;
  }
  const keep = kind === "int" && isIntArray(values);
  // the cells, made only once a value differs from the one given (a plain
  // array of valid strings, numbers or booleans is used as it is)
  let out: Cell[] | null = null;
  let i = 0;
  try {
    if (keep) {
      // typed ints are integers; a numpy width (int8, ...) still bounds them
      if (numpy !== undefined) {
        for (; i < n; i++) checkValue(table, column, kind, values[i], numpy);
      }
      return values as IntArray;
    }
    if (OBJECT_KINDS.has(kind)) {
      out = new Array(n);
      for (; i < n; i++) {
        checkValue(table, column, kind, values[i], numpy);
        out[i] = serialize(column, kind, values[i]);
      }
    } else {
      if (kind === "str" && Array.isArray(values)) {
        // the common case in one tight loop: strings that need no change
        // (well-formed, short enough), or null; the first other value is
        // checked (and named) by checkValue below
        const strings = values as readonly unknown[];
        for (; i < n; i++) {
          const value = strings[i];
          if (value === null) continue;
          if (
            typeof value !== "string" || value.length * 3 > MAX_STR_BYTES ||
            !value.isWellFormed()
          ) break;
        }
        if (i === n) return values as Cell[];
      }
      for (; i < n; i++) {
        const value = values[i];
        const cell = checkValue(table, column, kind, value, numpy) as Cell;
        if (cell !== value && out === null) {
          out = Array.from({ length: i }, (_, k) => values[k] as Cell);
        }
        if (out !== null) out.push(cell);
      }
    }
  } catch (error) {
    const E = (error as Error).constructor as ErrorConstructor;
    throw new E(
      `${
        (error as Error).message
      } (row ${i} of the columns given to appendColumns; no row was appended)`,
      { cause: error },
    );
  }
  return out ??
    (Array.isArray(values)
      ? values as Cell[]
      : Array.from(values as ArrayLike<Cell>));
}

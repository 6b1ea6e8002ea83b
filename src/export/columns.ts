/**
 * The columns of an export: each cox column kind as one Parquet/Arrow type,
 * and a run's cells turned into values of that type.
 *
 * @module
 */

import { jsonValue } from "../sweep/json_value.ts";
import type { ColumnKind } from "../schema.ts";
import { pyStr } from "../python_str.ts";

/** The type of an exported column: INT64, DOUBLE, BOOLEAN or UTF8 text. */
export type ExportType = "int64" | "double" | "boolean" | "utf8";

/** How the cells of an exported column were made from the stored ones. */
export type CellEncoding =
  /** the value itself (int, float, bool, str) */
  | "value"
  /** an OBJECT or PICKLE cell's decoded value, as JSON text */
  | "json"
  /** the stored cell: an OBJECT's base64 pickle, a PICKLE's or PYTORCH_STATE's uuid */
  | "stored";

/** One column of an export. */
export interface ExportColumn {
  /** The column's name in the output. */
  name: string;
  /** Its type in the output. */
  type: ExportType;
  /** The cox kind it came from (`str` for `exp_id`). */
  kind: ColumnKind;
  /** How its cells were made. */
  encoding: CellEncoding;
  /** Whether it may hold nulls (false only for `exp_id`). */
  nullable: boolean;
  /** Whether it holds one value per run, not null (`exp_id`): Parquet's bounds are found from the runs' values. */
  perRun?: boolean;
}

/** A column's values: typed arrays when there is no null. */
export type ColumnValues =
  | BigInt64Array
  | Float64Array
  | (bigint | null)[]
  | (number | null)[]
  | (boolean | null)[]
  | (string | null)[];

/** Rows of an export, one array of values per column, in column order. */
export interface Batch {
  /** How many rows. */
  rows: number;
  /** One array per column of the plan, each `rows` long. */
  columns: ColumnValues[];
}

/** The output type of a cox column kind. */
export function exportType(kind: ColumnKind): ExportType {
  switch (kind) {
    case "int":
      return "int64";
    case "float":
      return "double";
    case "bool":
      return "boolean";
    default:
      return "utf8";
  }
}

/** How the cells of a column of `kind` are exported. */
export function cellEncoding(
  kind: ColumnKind,
  keepSerialized: boolean,
): CellEncoding {
  if (kind === "__object__" || kind === "__pickle__") {
    return keepSerialized ? "stored" : "json";
  }
  return kind === "__pytorch_state__" ? "stored" : "value";
}

/**
 * A decoded OBJECT or PICKLE value as JSON text: as `cox df --format json`
 * gives it (NaN and infinities null, tuples and sets arrays, dicts objects,
 * other Python objects their `str()`), except that an int is written with
 * all its digits, also past 2^53, as JSON allows.
 */
export function jsonText(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value) || value instanceof Set) {
    return `[${[...value].map(jsonText).join(",")}]`;
  }
  if (value instanceof Map) {
    const parts: string[] = [];
    for (const [k, v] of value) {
      const key = typeof k === "string" ? k : pyStr(k);
      parts.push(`${JSON.stringify(key)}:${jsonText(v)}`);
    }
    return `{${parts.join(",")}}`;
  }
  if (value !== null && typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto === null || proto === Object.prototype) {
      return `{${
        Object.entries(value).map(([k, v]) =>
          `${JSON.stringify(k)}:${jsonText(v)}`
        ).join(",")
      }}`;
    }
  }
  return JSON.stringify(jsonValue(value)) ?? "null";
}

/**
 * Cells of one column (as `Table.decodedColumns` gives them, or `undefined`
 * for a column the run lacks) as values of the column's type.
 */
export function convertCells(
  column: ExportColumn,
  cells: readonly unknown[] | ArrayLike<unknown> | undefined,
  rows: number,
): ColumnValues {
  if (cells === undefined) return new Array(rows).fill(null);
  switch (column.type) {
    case "int64":
      return toInt64(column.name, cells);
    case "double":
      return toDouble(cells);
    case "boolean": {
      const out: (boolean | null)[] = new Array(cells.length);
      for (let i = 0; i < cells.length; i++) {
        const v = cells[i];
        out[i] = v === null || v === undefined ? null : Boolean(v);
      }
      return out;
    }
    case "utf8": {
      const out: (string | null)[] = new Array(cells.length);
      const json = column.encoding === "json";
      for (let i = 0; i < cells.length; i++) {
        const v = cells[i];
        out[i] = v === null || v === undefined
          ? null
          : json
          ? jsonText(v)
          : typeof v === "string"
          ? v
          : String(v);
      }
      return out;
    }
  }
}

// which Int32 of an int64's two holds its low half, on this machine
const LOW = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;
const TWO_32 = 4294967296;

function toInt64(
  name: string,
  cells: readonly unknown[] | ArrayLike<unknown>,
): ColumnValues {
  const n = cells.length;
  const typed = new BigInt64Array(n);
  // numbers go in as their two 32-bit halves: no BigInt made per value
  const halves = new Int32Array(typed.buffer);
  for (let i = 0; i < n; i++) {
    const v = cells[i];
    if (typeof v === "number" && Number.isSafeInteger(v)) {
      const hi = Math.floor(v / TWO_32);
      halves[2 * i + LOW] = v - hi * TWO_32;
      halves[2 * i + 1 - LOW] = hi;
    } else if (typeof v === "bigint") typed[i] = v;
    else if (typeof v === "number" && Number.isInteger(v)) typed[i] = BigInt(v);
    else if (v === null || v === undefined) {
      // a gap: fall back to an array that can hold nulls
      const out: (bigint | null)[] = Array.from(typed.subarray(0, i));
      for (let j = i; j < n; j++) out.push(int64OrNull(name, cells[j]));
      return out;
    } else {
      throw new TypeError(
        `Cannot export column "${name}" as INT64: ${
          String(v)
        } is not an integer`,
      );
    }
  }
  return typed;
}

function int64OrNull(name: string, v: unknown): bigint | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  throw new TypeError(
    `Cannot export column "${name}" as INT64: ${String(v)} is not an integer`,
  );
}

function toDouble(
  cells: readonly unknown[] | ArrayLike<unknown>,
): ColumnValues {
  if (cells instanceof Float64Array) return cells;
  const n = cells.length;
  const typed = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = cells[i];
    if (v === null || v === undefined) {
      const out: (number | null)[] = Array.from(typed.subarray(0, i));
      for (let j = i; j < n; j++) {
        const w = cells[j];
        out.push(w === null || w === undefined ? null : Number(w));
      }
      return out;
    }
    typed[i] = Number(v);
  }
  return typed;
}

/** A column of `rows` copies of one value (a run's exp id, a metadata value). */
export function repeatValue(
  column: ExportColumn,
  value: unknown,
  rows: number,
): ColumnValues {
  const one = convertCells(column, [value ?? null], 1);
  if (one instanceof BigInt64Array) return new BigInt64Array(rows).fill(one[0]);
  if (one instanceof Float64Array) return new Float64Array(rows).fill(one[0]);
  return new Array(rows).fill(one[0]);
}

/** Batches of the same columns, one after the other, as one batch. */
export function concatBatches(batches: readonly Batch[]): Batch {
  if (batches.length === 1) return batches[0];
  const rows = batches.reduce((n, b) => n + b.rows, 0);
  const width = batches[0]?.columns.length ?? 0;
  const columns: ColumnValues[] = [];
  for (let c = 0; c < width; c++) {
    const parts = batches.map((b) => b.columns[c]);
    if (parts.every((p) => p instanceof Float64Array)) {
      const out = new Float64Array(rows);
      let at = 0;
      for (const p of parts as Float64Array[]) {
        out.set(p, at);
        at += p.length;
      }
      columns.push(out);
    } else if (parts.every((p) => p instanceof BigInt64Array)) {
      const out = new BigInt64Array(rows);
      let at = 0;
      for (const p of parts as BigInt64Array[]) {
        out.set(p, at);
        at += p.length;
      }
      columns.push(out);
    } else {
      const out: unknown[] = new Array(rows);
      let at = 0;
      for (const p of parts) {
        for (let i = 0; i < p.length; i++) out[at + i] = p[i];
        at += p.length;
      }
      columns.push(out as ColumnValues);
    }
  }
  return { rows, columns };
}

/**
 * Text layouts of rows: aligned columns, CSV, JSON.
 *
 * @module
 */

import { floatRepr } from "../pickle/write.ts";
import { isTensor, PyFloat } from "../pickle/values.ts";
import { pyStr } from "../python_str.ts";
import { csvColumn, type PandasDtype } from "./pandas_cells.ts";

/** A column to lay out: its header, its cells as text, and which side it aligns to. */
export interface TextColumn {
  header: string;
  cells: string[];
  align: "left" | "right";
}

/** Columns side by side, two spaces apart, each as wide as its widest cell. */
export function alignColumns(columns: TextColumn[]): string {
  if (columns.length === 0) return "";
  const n = columns[0].cells.length;
  const widths = columns.map((c) =>
    Math.max(
      [...c.header].length,
      ...c.cells.map((s) => [...s].length),
    )
  );
  const pad = (text: string, width: number, align: "left" | "right") => {
    const fill = " ".repeat(width - [...text].length);
    return align === "left" ? text + fill : fill + text;
  };
  const line = (cell: (c: TextColumn) => string) =>
    columns.map((c, i) => pad(cell(c), widths[i], c.align)).join("  ")
      .trimEnd();
  const lines = [line((c) => c.header)];
  for (let r = 0; r < n; r++) lines.push(line((c) => c.cells[r]));
  return lines.join("\n") + "\n";
}

/** A cell as CSV text, as pandas' `to_csv` writes it (missing and NaN empty). */
export function csvCell(value: unknown, kind: string | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" && Number.isNaN(value)) return "";
  const text = kind === "float" && typeof value === "number"
    ? floatRepr(value)
    : pyStr(value, kind);
  return csvQuote(text);
}

/** Text as a CSV field: quoted only when it has to be. */
function csvQuote(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Rows as CSV with a header line. Columns in `objects` (decoded OBJECT and
 * PICKLE cells) are written as pandas writes them, from the dtype of each
 * cell's run and of the whole column.
 */
export function toCsv(
  names: string[],
  kinds: Record<string, string>,
  columns: Record<string, unknown[]>,
  objects: Record<string, { parts: PandasDtype[]; dtype: PandasDtype }> = {},
): string {
  const n = names.length ? columns[names[0]].length : 0;
  const texts = names.map((c) =>
    c in objects
      ? csvColumn(columns[c], objects[c].parts, objects[c].dtype).map(csvQuote)
      : columns[c].map((v) => csvCell(v, kinds[c]))
  );
  const lines = [names.map((name) => csvCell(name, "str")).join(",")];
  for (let r = 0; r < n; r++) lines.push(texts.map((t) => t[r]).join(","));
  return lines.join("\n") + "\n";
}

/** Most containers one cell's JSON expands (shared references are written out each time). */
const MAX_JSON_NODES = 100_000;

/**
 * A value as JSON can hold it: NaN and infinities become null (as pandas'
 * `to_json`), a bigint a number when exact and a string otherwise, bytes and
 * other Python objects the text Python's `str()` gives. A container inside
 * itself becomes the text Python prints for it (`[...]`, `{...}`); a value
 * that would expand past 100,000 containers (a DAG of shared lists) is
 * written as its (bounded) `str()` text instead.
 */
export function jsonValue(value: unknown): unknown {
  const budget = { nodes: MAX_JSON_NODES };
  try {
    return toJson(value, new Set(), budget);
  } catch (error) {
    if (error === TOO_BIG) return pyStr(value);
    throw error;
  }
}

const TOO_BIG = Symbol("too big");

function toJson(
  value: unknown,
  active: Set<object>,
  budget: { nodes: number },
): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case "number":
      return Number.isFinite(value) ? value : null;
    case "bigint":
      return Number.isSafeInteger(Number(value))
        ? Number(value)
        : value.toString();
    case "string":
    case "boolean":
      return value;
  }
  if (value instanceof PyFloat) return toJson(value.value, active, budget);
  if (isTensor(value) && value.shape.length === 0) {
    // a numpy scalar: its number (complex and float16 as text)
    if (value.dtype === "float64" || value.dtype === "float32") {
      return toJson(value.data[0], active, budget);
    }
    return pyStr(value);
  }
  const v = value as object;
  const isDict = v instanceof Map || isPlainObject(v);
  if (!(Array.isArray(v) || v instanceof Set || isDict)) return pyStr(v);
  if (active.has(v)) {
    return isDict ? "{...}" : v instanceof Set ? "set(...)" : "[...]";
  }
  if (--budget.nodes < 0) throw TOO_BIG;
  active.add(v);
  try {
    if (Array.isArray(v)) return v.map((x) => toJson(x, active, budget));
    if (v instanceof Set) return [...v].map((x) => toJson(x, active, budget));
    const out: Record<string, unknown> = {};
    const entries = v instanceof Map ? [...v] : Object.entries(v);
    for (const [k, x] of entries) {
      out[typeof k === "string" ? k : pyStr(k)] = toJson(x, active, budget);
    }
    return out;
  } finally {
    active.delete(v);
  }
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === null || proto === Object.prototype;
}

/** Rows as objects, column by column. */
export function toRecords(
  names: string[],
  columns: Record<string, unknown[]>,
): Record<string, unknown>[] {
  const n = names.length ? columns[names[0]].length : 0;
  const rows: Record<string, unknown>[] = [];
  for (let r = 0; r < n; r++) {
    const row: Record<string, unknown> = {};
    for (const name of names) row[name] = jsonValue(columns[name][r]);
    rows.push(row);
  }
  return rows;
}

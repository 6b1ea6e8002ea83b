/**
 * Text layouts of rows: aligned columns, CSV, JSON.
 *
 * @module
 */

import { floatRepr } from "../pickle/write.ts";
import { PyFloat } from "../pickle/values.ts";
import { pyStr } from "../python_str.ts";

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
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Rows as CSV with a header line. */
export function toCsv(
  names: string[],
  kinds: Record<string, string>,
  columns: Record<string, unknown[]>,
): string {
  const n = names.length ? columns[names[0]].length : 0;
  const lines = [names.map((name) => csvCell(name, "str")).join(",")];
  for (let r = 0; r < n; r++) {
    lines.push(names.map((c) => csvCell(columns[c][r], kinds[c])).join(","));
  }
  return lines.join("\n") + "\n";
}

/**
 * A value as JSON can hold it: NaN and infinities become null (as pandas'
 * `to_json`), a bigint a number when exact and a string otherwise, bytes and
 * other Python objects the text Python's `str()` gives.
 */
export function jsonValue(value: unknown): unknown {
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
  if (value instanceof PyFloat) return jsonValue(value.value);
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value instanceof Set) return [...value].map(jsonValue);
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) {
      out[typeof k === "string" ? k : pyStr(k)] = jsonValue(v);
    }
    return out;
  }
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto === null || proto === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = jsonValue(v);
      return out;
    }
  }
  return pyStr(value);
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

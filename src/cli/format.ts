/**
 * Text layouts of rows: aligned columns, CSV, JSON.
 *
 * @module
 */

import { csvColumn, type PandasDtype } from "../sweep/pandas_cells.ts";
import { csvCell, csvQuote } from "../sweep/csv_cell.ts";
import { jsonValue } from "../sweep/json_value.ts";

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

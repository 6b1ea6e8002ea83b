/**
 * Text renderings of tables in the style of pandas' `DataFrame.__repr__`,
 * which is how cox's `str(store)` and `str(table)` print them.
 *
 * @module
 */

import type { Cell } from "./h5/frame_table.ts";

/** The subset of a table a rendering needs. */
export interface RenderableTable {
  readonly name: string;
  readonly schema: Readonly<Record<string, string>>;
  readonly nrows: number;
  columns(range?: { stop?: number }): Record<string, Cell[]>;
}

function formatFloats(values: number[]): string[] {
  const finite = values.filter((v) => Number.isFinite(v));
  const special = (
    v: number,
  ) => (Number.isNaN(v) ? "NaN" : v > 0 ? "inf" : "-inf");
  if (finite.length === 0) return values.map(special);
  const maxAbs = Math.max(...finite.map(Math.abs));
  const minAbs = Math.min(
    ...finite.filter((v) => v !== 0).map(Math.abs),
    Infinity,
  );
  const scientific = maxAbs >= 1e16 ||
    (minAbs < 1e-4 && minAbs !== Infinity && maxAbs / minAbs > 1e3) ||
    (minAbs < 1e-6 && minAbs !== Infinity);
  if (scientific) {
    return values.map((
      v,
    ) => (Number.isFinite(v)
      ? v.toExponential(6).replace(/e([+-])(\d)$/, "e$10$2")
      : special(v))
    );
  }
  // the fewest decimals (at most 6) that show every value as pandas does
  let decimals = 1;
  for (const v of finite) {
    for (let d = decimals; d <= 6; d++) {
      if (Number(v.toFixed(d)) === Number(v.toFixed(6)) || d === 6) {
        decimals = Math.max(decimals, d);
        break;
      }
    }
  }
  return values.map((
    v,
  ) => (Number.isFinite(v) ? v.toFixed(decimals) : special(v)));
}

function formatColumn(kind: string, values: Cell[]): string[] {
  if (kind === "float") return formatFloats(values as number[]);
  if (kind === "bool") return values.map((v) => (v ? "True" : "False"));
  // a line break inside a cell would break the columns apart: show it escaped
  // a missing string prints as pandas prints it
  return values.map((v) =>
    v === null ? "NaN" : String(v).replace(/\n/g, "\\n")
  );
}

/** Renders rows like pandas: index on the left, columns right-aligned. */
export function renderFrame(
  schema: Readonly<Record<string, string>>,
  columns: Record<string, Cell[]>,
  firstIndex = 0,
): string {
  const names = Object.keys(schema);
  const n = names.length > 0 ? columns[names[0]].length : 0;
  if (n === 0) {
    return `Empty DataFrame\nColumns: [${names.join(", ")}]\nIndex: []`;
  }
  const index = Array.from({ length: n }, (_, i) => String(firstIndex + i));
  const indexWidth = Math.max(...index.map((s) => s.length));
  const cols = names.map((name) => {
    const cells = formatColumn(schema[name], columns[name]);
    const width = Math.max(name.length, ...cells.map((c) => c.length));
    return { name, cells, width };
  });
  const lines = [
    " ".repeat(indexWidth) +
    cols.map((c) => "  " + c.name.padStart(c.width)).join(""),
  ];
  for (let r = 0; r < n; r++) {
    lines.push(
      index[r].padEnd(indexWidth) +
        cols.map((c) => "  " + c.cells[r].padStart(c.width)).join(""),
    );
  }
  return lines.join("\n");
}

/** A table as cox's `str(table)`: at most 4 rows, then how many rows there are. */
export function renderTable(table: RenderableTable): string {
  // five rows tell whether the head is all there is: a big table is not read whole
  const columns = table.columns({ stop: 5 });
  const full = renderFrame(table.schema, columns);
  if (full.split("\n").length <= 5) return full;
  const head: Record<string, Cell[]> = {};
  for (const [name, values] of Object.entries(columns)) {
    head[name] = values.slice(0, 4);
  }
  return `${
    renderFrame(table.schema, head)
  }\n ... (${table.nrows} rows hidden)`;
}

/** A store as cox's `str(store)`: each table under a `-- Table: name --` heading. */
export function renderStore(
  tables: ReadonlyMap<string, RenderableTable>,
): string {
  const parts: string[] = [];
  for (const [name, table] of tables) {
    parts.push(`-- Table: ${name} --`, renderTable(table), "");
  }
  return parts.join("\n");
}

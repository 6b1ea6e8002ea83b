/**
 * A run's table decoded as the CLI shows it (OBJECT and PICKLE cells
 * unpickled, Python's floats kept apart from its ints), and the kinds and
 * pandas dtypes of the columns of the concatenated frame.
 *
 * @module
 */

import type { CollectionReader } from "../reader.ts";
import { OBJECT, PICKLE, type Schema } from "../schema.ts";
import type { Table } from "../run/table.ts";
import { concatDtype, type PandasDtype, seriesDtype } from "./pandas_cells.ts";

/** How the CLI decodes object cells: Python's floats kept apart from its ints. */
const EXACT = { exactNumbers: true } as const;

/** A cell of an OBJECT or PICKLE column decoded (other cells as they are). */
export function decodeCell(table: Table, kind: string, cell: unknown): unknown {
  return kind === OBJECT
    ? table.getObject(cell as string, EXACT)
    : kind === PICKLE
    ? table.getPickle(cell as string, EXACT)
    : cell;
}

/** A run's table, decoded, with the pandas dtype of each OBJECT/PICKLE column. */
export interface DecodedRun {
  /** The first row (undefined when the table is empty). */
  first: Record<string, unknown> | undefined;
  /** What `pd.Series` makes of each object column of the run. */
  parts: Record<string, PandasDtype>;
}

/** The first row of a run's table as decoded values, and its object columns' dtypes. */
export function decodeRun(table: Table): DecodedRun {
  const rows = table.rows() as Record<string, unknown>[];
  const parts: Record<string, PandasDtype> = {};
  let first: Record<string, unknown> | undefined;
  for (const [column, kind] of Object.entries(table.schema)) {
    if (kind !== OBJECT && kind !== PICKLE) continue;
    parts[column] = seriesDtype(
      rows.map((row) => decodeCell(table, kind, row[column])),
    );
  }
  if (rows.length > 0) {
    first = {};
    for (const [column, kind] of Object.entries(table.schema)) {
      first[column] = decodeCell(table, kind, rows[0][column]);
    }
  }
  return { first, parts };
}

/** The first row of a run's table as decoded values (OBJECT and PICKLE cells unpickled). */
export function firstRow(
  table: Table,
): Record<string, unknown> | undefined {
  return decodeRun(table).first;
}

/** The concatenated frame's dtype of each object column, from every run's. */
export function objectDtypes(
  runs: Iterable<DecodedRun>,
): Record<string, PandasDtype> {
  const all: Record<string, PandasDtype[]> = {};
  for (const run of runs) {
    for (const [column, dtype] of Object.entries(run.parts)) {
      (all[column] ??= []).push(dtype);
    }
  }
  return Object.fromEntries(
    Object.entries(all).map(([c, parts]) => [c, concatDtype(parts)]),
  );
}

/**
 * A column's kind in the concatenated frame, as pandas would have it: an
 * int column missing from some run holds NaN there, so it is float.
 */
export function frameKinds(
  reader: CollectionReader,
  table: string,
): Schema {
  const schema: Schema = { ...(reader.schemas[table] ?? {}) };
  for (const store of reader.stores.values()) {
    const own = store.tables.get(table)?.schema;
    if (own === undefined) continue;
    for (const [column, kind] of Object.entries(schema)) {
      if (kind === "int" && !(column in own)) schema[column] = "float";
    }
  }
  return schema;
}

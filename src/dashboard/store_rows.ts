/**
 * Reads a run's `store.h5` for the dashboard with the fast reader, taking
 * only the rows past those already held: a live update reads the new rows
 * of the tables that grew, a first read every row of the tables with a
 * numeric column and of the metadata table. Opening a run through `Store.open`
 * costs about 3 ms (it lists and describes every table, reads the journal
 * and counts rows twice); this costs a fraction of that, so a 1,000-run
 * sweep is read in about a second.
 *
 * It reads the file as `Store.open` read-only does (under the shared read
 * lock an in-place update waits for), and declines, returning null so the
 * caller takes the `Store.open` path, whenever that path would do more than
 * read `store.h5`: an undo log (an update under way or cut short), a
 * journal holding rows not yet in the file, a metadata table with OBJECT or
 * PICKLE cells (decoded from the run's object files), a file the fast reader
 * does not handle (h5wasm), or any error (the other path names it).
 *
 * @module
 */

import { join } from "../path.ts";
import {
  type Cell,
  type ColumnSlot,
  decodeNumbers,
  type FrameTable,
  type StoredKind,
} from "../h5/frame_table.ts";
import { columnNames, reorder } from "../h5/layout.ts";
import { withTableFile } from "../h5/table_file.ts";
import { underReadLock, UNDO_SUFFIX } from "../run/in_place.ts";
import { COX_DATA, JOURNAL_SUFFIX, STORE_BASENAME } from "../run/run_files.ts";
import { schemaFromCoxData } from "../cox_data.ts";
import type { Schema } from "../schema.ts";

/** Rows of one table read by {@linkcode readNewRows}. */
export interface NewRows {
  schema: Schema;
  /** The table's row count in the file. */
  nrows: number;
  /** Row number of the first row in `columns`. */
  start: number;
  /**
   * Rows `[start, nrows)` by column: every column of the metadata table as
   * cells, only the numeric columns of other tables, as numbers (bools 0/1).
   */
  columns: Record<string, Cell[] | Float64Array>;
}

/** Column `slot` of `count` raw rows as numbers (bools as 0/1, big ints rounded). */
function numbersOf(
  layout: FrameTable,
  slot: ColumnSlot,
  bytes: Uint8Array,
  count: number,
): Float64Array {
  const out = new Float64Array(count);
  decodeNumbers(layout, slot, bytes, out);
  return out;
}

/** What the caller holds of a table: its row count and schema. */
export interface HeldTable {
  nrows: number;
  schema: Schema;
}

function sizeOf(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0;
  }
}

/** Whether folder `dir` holds an entry `name` (without the exception a stat of a missing file costs). */
function listed(dir: string, name: string): boolean {
  try {
    for (const e of Deno.readDirSync(dir)) if (e.name === name) return true;
  } catch {
    return true; // cannot tell: the caller looks
  }
  return false;
}

function numericKind(kind: string): boolean {
  return kind === "int" || kind === "float" || kind === "bool";
}

/** Kinds whose cells are their values (no object file to decode). */
function plainKind(kind: string): boolean {
  return numericKind(kind) || kind === "str";
}

function sameSchema(a: Schema, b: Schema): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function storedKind(kind: string): StoredKind {
  return kind === "float" || kind === "int" || kind === "bool" ? kind : "str";
}

/**
 * The tables of run folder `runPath` whose row count differs from `held`,
 * with their rows past those held (all rows when the schema changed or the
 * table shrank), or null when this run must be read through `Store.open`.
 * Every column of `metadataTable` is read, numeric columns of the others.
 */
export function readNewRows(
  runPath: string,
  held: ReadonlyMap<string, HeldTable>,
  metadataTable: string,
  files?: ReadonlyMap<string, unknown>,
): Map<string, NewRows> | null {
  const storePath = join(runPath, STORE_BASENAME);
  const journal = STORE_BASENAME + JOURNAL_SUFFIX;
  const undo = STORE_BASENAME + UNDO_SUFFIX;
  // rows only in the journal, or an update to undo: Store.open applies its
  // rules (`files`, the run folder's listing if given, saves looking for a
  // journal that is not there)
  if (
    (files === undefined || files.has(journal)) &&
    sizeOf(join(runPath, journal)) > 0
  ) return null;
  if (sizeOf(storePath) === 0) return null;
  try {
    return underReadLock(storePath, () => {
      // listed again under the lock: an update cut short leaves its undo log
      if (listed(runPath, undo) && sizeOf(join(runPath, undo)) > 0) {
        return null;
      }
      return withTableFile(storePath, (file) => {
        if (file.reader !== "fast") return null;
        const out = new Map<string, NewRows>();
        for (const { key, cox } of file.findTables()) {
          if (!cox) continue; // not a table cox wrote: cox skips it too
          const data = file.attributes(`/${key}`).pickled(COX_DATA)!;
          const schema = schemaFromCoxData(storePath, key, data);
          const known = Object.fromEntries(
            Object.entries(schema).map(([c, k]) => [c, storedKind(k)]),
          );
          const layout = file.describe(key, known);
          const names = columnNames(layout);
          const wanted = Object.keys(schema);
          if (
            names.length !== wanted.length ||
            !wanted.every((c) => names.includes(c))
          ) return null; // Store.open says how they differ
          const before = held.get(key);
          const nrows = layout.nrows;
          if (before !== undefined && before.nrows === nrows) continue;
          const isMetadata = key === metadataTable;
          if (
            isMetadata && !Object.values(schema).every(plainKind)
          ) return null; // its cells are decoded from the run's object files
          const restart = before === undefined || nrows < before.nrows ||
            !sameSchema(before.schema, schema);
          const start = restart ? 0 : before.nrows;
          const count = isMetadata || Object.values(schema).some(numericKind)
            ? nrows - start
            : 0;
          const columns: Record<string, Cell[] | Float64Array> = {};
          if (count > 0 && isMetadata) {
            const cells = reorder(
              file.readColumns(layout, start, count),
              names,
              wanted,
            );
            wanted.forEach((c, i) => columns[c] = cells[i]);
          } else if (count > 0) {
            // only the numeric columns, decoded straight from the raw rows
            const bytes = file.readRaw(layout, start, count);
            for (const slot of layout.columns) {
              if (numericKind(schema[slot.name])) {
                columns[slot.name] = numbersOf(layout, slot, bytes, count);
              }
            }
          }
          out.set(key, { schema, nrows, start, columns });
        }
        return out;
      });
    });
  } catch {
    return null;
  }
}

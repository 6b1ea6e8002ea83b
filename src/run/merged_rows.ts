/**
 * A table's rows as readers see them: the rows of `store.h5`, then those of
 * the journal's batches that `store.h5` lacks, by the rule a writer's replay
 * follows (`checkpoint.ts`): a batch already in the file is skipped, one
 * whose place holds other rows (another writer appended meanwhile) goes
 * after them. Rows are read by ranges: only the file's rows in the range are
 * read (plus, to place a batch that overlaps what is there, the rows it
 * overlaps), so a range of a table of any size costs about its own rows.
 *
 * @module
 */

import type { Cell } from "../h5/frame_table.ts";
import type { JournalBatch } from "./journal.ts";

/** A stretch of the merged rows: rows `[at, at + count)` of the file or of one batch. */
interface Piece {
  batch: JournalBatch | null;
  at: number;
  count: number;
}

/** Where the rows come from; cells are one array per column, in schema order. */
export interface RowSources {
  /** Rows of the table in `store.h5`. */
  fileRows: number;
  /** Reads rows `[start, start + count)` of the table in `store.h5`. */
  readFile(start: number, count: number): Cell[][];
  /** Decodes all the rows of a batch. */
  decodeBatch(batch: JournalBatch): Cell[][];
  /** Columns of the table. */
  columns: number;
}

/** Whether two cells hold the same value (NaN equals NaN). */
export function sameCell(a: Cell, b: Cell): boolean {
  if (a === b || (a !== a && b !== b)) return true;
  if (typeof a !== "bigint" && typeof b !== "bigint") return false;
  try {
    return BigInt(a as number) === BigInt(b as number);
  } catch {
    return false; // a fraction is no integer
  }
}

/** The rows of a table in `store.h5` followed by its journal's batches, readable by range. */
export class MergedRows {
  readonly #src: RowSources;
  readonly #pieces: Piece[] = [];
  readonly #decoded = new Map<JournalBatch, Cell[][]>();
  /** How many rows there are in all. */
  count = 0;

  /** `batches` are the table's batches in row order. */
  constructor(src: RowSources, batches: readonly JournalBatch[]) {
    this.#src = src;
    if (src.fileRows > 0) this.#add(null, 0, src.fileRows);
    let shift = 0;
    for (const batch of batches) {
      const have = this.count;
      const start = batch.start + shift;
      let from = 0;
      if (start < have) {
        const overlap = Math.min(batch.count, have - start);
        const there = this.read(start, start + overlap);
        const ours = this.#cells(batch);
        const same = there.every((column, i) => {
          for (let r = 0; r < overlap; r++) {
            if (!sameCell(column[r], ours[i][r])) return false;
          }
          return true;
        });
        if (same) from = overlap;
        else shift += have - start;
      } else if (start > have) shift -= start - have;
      if (from < batch.count) this.#add(batch, from, batch.count - from);
    }
  }

  #add(batch: JournalBatch | null, at: number, count: number): void {
    this.#pieces.push({ batch, at, count });
    this.count += count;
  }

  #cells(batch: JournalBatch): Cell[][] {
    let cells = this.#decoded.get(batch);
    if (cells === undefined) {
      cells = this.#src.decodeBatch(batch);
      this.#decoded.set(batch, cells);
    }
    return cells;
  }

  /** Rows `[start, stop)` (within `[0, count]`), one array per column. */
  read(start: number, stop: number): Cell[][] {
    const out: Cell[][] = Array.from({ length: this.#src.columns }, () => []);
    let base = 0;
    for (const piece of this.#pieces) {
      const from = Math.max(start, base);
      const to = Math.min(stop, base + piece.count);
      if (from < to) {
        const at = piece.at + from - base;
        const cells = piece.batch === null
          ? this.#src.readFile(at, to - from)
          : this.#cells(piece.batch).map((c) => c.slice(at, at + to - from));
        cells.forEach((column, i) => {
          const target = out[i];
          if (target.length === 0) out[i] = column;
          else for (const cell of column) target.push(cell);
        });
      }
      base += piece.count;
      if (base >= stop) break;
    }
    return out;
  }
}

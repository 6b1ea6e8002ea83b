/**
 * The rows of a table flushed by `appendRow`/`flushRow` and not yet in the
 * journal, packed as they come: one typed array per column (numbers in a
 * Float64Array, booleans in a Uint8Array, text as UTF-8 bytes with the end
 * of each value), so that a row costs no arrays or boxed values, a string
 * is encoded once, and the widest string of each column is known without a
 * scan. A journal batch is then packed from these arrays straight into the
 * table's row layout.
 *
 * @module
 */

import { type Cell, NAN_REP, type RowLayout } from "../h5/frame_table.ts";
import {
  checkValue,
  type ColumnKind,
  MAX_STR_BYTES,
  type NumpyType,
} from "../schema.ts";

const FLOAT = 0;
const INT = 1;
const BOOL = 2;
const STR = 3;
/** An object kind: its serialized text, stored as a string (never checked here). */
const OBJ = 4;

const TWO_32 = 4294967296;
/** How much an array grows when full (see `RowBatch`). */
const GROWTH = 8;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NAN_BYTES = encoder.encode(NAN_REP);

/** How a column of `kind` is packed. */
function codeOf(kind: ColumnKind): number {
  return kind === "float"
    ? FLOAT
    : kind === "int"
    ? INT
    : kind === "bool"
    ? BOOL
    : kind === "str"
    ? STR
    : OBJ;
}

/**
 * Packed pending rows of one table. Rows are written at index `count`
 * (`put`), then taken by `commit`; a row that fails a check half-way is
 * simply not committed (the next row overwrites it).
 *
 * Memory: 8 bytes a number, 1 a boolean, 4 plus the UTF-8 bytes a string.
 * The arrays grow 8-fold when full: a new array's pages cost nothing until
 * written (the system maps them at first touch), so room to spare is cheap
 * and copies, which touch fresh pages, are few (an 8-fold growth copies
 * about a seventh of the rows once more, doubling would copy all of them).
 */
export class RowBatch {
  readonly #codes: Uint8Array;
  readonly #table: string;
  readonly #names: readonly string[];
  readonly #kinds: readonly ColumnKind[];
  readonly #numpy: readonly (NumpyType | undefined)[];
  /** Committed rows. */
  count = 0;
  #capacity = 0;
  readonly #num: (Float64Array | null)[];
  readonly #bool: (Uint8Array | null)[];
  /** For int columns: values beyond 2^53, by row (rare). */
  readonly #big: (Map<number, bigint> | null)[];
  /** For string columns: UTF-8 bytes of every row, back to back. */
  readonly #text: (Uint8Array | null)[];
  /** For string columns: where each row's bytes end in `#text`. */
  readonly #ends: (Uint32Array | null)[];
  /** For string columns: rows holding null (a missing value, stored as NAN_REP). */
  readonly #nulls: (Set<number> | null)[];
  /** For string columns: the widest committed value, in UTF-8 bytes. */
  readonly #widest: Int32Array;
  /** For string columns: the width of the row being put. */
  readonly #staged: Int32Array;
  readonly #strColumns: number[];
  /** Whether a bigint or a null was ever put (then `begin` clears their row). */
  #sparse = false;
  /** About how many bytes the committed rows take packed. */
  bytes = 0;
  /** Bytes a row takes apart from its text: 8 a number, 1 a boolean, 4 a string. */
  readonly #fixedBytes: number;

  constructor(
    table: string,
    names: readonly string[],
    kinds: readonly ColumnKind[],
    numpy: readonly (NumpyType | undefined)[],
  ) {
    this.#table = table;
    this.#names = names;
    this.#kinds = kinds;
    this.#numpy = numpy;
    const n = kinds.length;
    this.#codes = Uint8Array.from(kinds, codeOf);
    this.#num = new Array(n).fill(null);
    this.#bool = new Array(n).fill(null);
    this.#big = new Array(n).fill(null);
    this.#text = new Array(n).fill(null);
    this.#ends = new Array(n).fill(null);
    this.#nulls = new Array(n).fill(null);
    this.#widest = new Int32Array(n);
    this.#staged = new Int32Array(n);
    this.#strColumns = [];
    let fixed = 8; // the index
    for (let c = 0; c < n; c++) {
      const code = this.#codes[c];
      if (code >= STR) this.#strColumns.push(c);
      fixed += code === BOOL ? 1 : code >= STR ? 4 : 8;
    }
    this.#fixedBytes = fixed;
  }

  /** Makes room for one more row; call before the `put`s of a row. */
  begin(): void {
    if (this.count === this.#capacity) this.#grow();
    if (this.#sparse) {
      // what a row that failed its checks may have left at this index
      const n = this.count;
      for (let c = 0; c < this.#big.length; c++) {
        this.#big[c]?.delete(n);
        this.#nulls[c]?.delete(n);
      }
    }
  }

  #grow(): void {
    const capacity = Math.max(1024, this.#capacity * GROWTH);
    for (let c = 0; c < this.#codes.length; c++) {
      switch (this.#codes[c]) {
        case FLOAT:
        case INT: {
          const next = new Float64Array(capacity);
          if (this.#num[c] !== null) next.set(this.#num[c]!);
          this.#num[c] = next;
          break;
        }
        case BOOL: {
          const next = new Uint8Array(capacity);
          if (this.#bool[c] !== null) next.set(this.#bool[c]!);
          this.#bool[c] = next;
          break;
        }
        default: {
          const next = new Uint32Array(capacity);
          if (this.#ends[c] !== null) next.set(this.#ends[c]!);
          this.#ends[c] = next;
          this.#text[c] ??= new Uint8Array(capacity * 16);
          break;
        }
      }
    }
    this.#capacity = capacity;
  }

  /**
   * Checks `value` for column `c` and puts it in the row being built.
   * Throws (as `checkValue` does) on a value the column refuses. Not for
   * object kinds, whose values must be serialized first (`putChecked`).
   */
  put(c: number, value: unknown): void {
    const n = this.count;
    switch (this.#codes[c]) {
      case FLOAT:
        if (typeof value === "number") {
          this.#num[c]![n] = value;
          return;
        }
        break;
      case INT:
        if (
          typeof value === "number" && this.#numpy[c] === undefined &&
          Number.isSafeInteger(value)
        ) {
          this.#num[c]![n] = value;
          return;
        }
        break;
      case STR:
        if (typeof value === "string" && this.#putAscii(c, n, value)) return;
        break;
    }
    this.putChecked(
      c,
      checkValue(
        this.#table,
        this.#names[c],
        this.#kinds[c],
        value,
        this.#numpy[c],
      ) as Cell,
    );
  }

  /** Puts a value already checked (and serialized for an object kind). */
  putChecked(c: number, cell: Cell): void {
    const n = this.count;
    switch (this.#codes[c]) {
      case FLOAT:
        this.#num[c]![n] = cell as number;
        return;
      case INT:
        if (typeof cell === "bigint") {
          this.#sparse = true;
          (this.#big[c] ??= new Map()).set(n, cell);
          this.#num[c]![n] = 0;
        } else this.#num[c]![n] = cell as number;
        return;
      case BOOL:
        this.#bool[c]![n] = cell ? 1 : 0;
        return;
      default: {
        if (cell === null) {
          this.#sparse = true;
          (this.#nulls[c] ??= new Set()).add(n);
          this.#putBytes(c, n, NAN_BYTES);
          return;
        }
        const text = cell as string;
        if (this.#putAscii(c, n, text)) return;
        this.#putBytes(c, n, encoder.encode(text));
        return;
      }
    }
  }

  /** The start of row `n`'s bytes in string column `c`. */
  #startOf(c: number, n: number): number {
    return n === 0 ? 0 : this.#ends[c]![n - 1];
  }

  #room(c: number, needed: number): Uint8Array {
    let text = this.#text[c]!;
    if (needed > text.length) {
      const next = new Uint8Array(Math.max(needed, text.length * GROWTH));
      next.set(text);
      this.#text[c] = text = next;
    }
    return text;
  }

  /** Puts an ASCII string as it is encoded; false (nothing taken) for any other text. */
  #putAscii(c: number, n: number, value: string): boolean {
    const length = value.length;
    if (length > MAX_STR_BYTES) return false;
    const start = this.#startOf(c, n);
    const text = this.#room(c, start + length);
    for (let k = 0; k < length; k++) {
      const code = value.charCodeAt(k);
      if (code >= 0x80) return false;
      text[start + k] = code;
    }
    this.#ends[c]![n] = start + length;
    this.#staged[c] = length;
    return true;
  }

  #putBytes(c: number, n: number, bytes: Uint8Array): void {
    const start = this.#startOf(c, n);
    this.#room(c, start + bytes.length).set(bytes, start);
    this.#ends[c]![n] = start + bytes.length;
    this.#staged[c] = bytes.length;
  }

  /** Takes the row being built. */
  commit(): void {
    let bytes = this.#fixedBytes;
    const strColumns = this.#strColumns;
    for (let k = 0; k < strColumns.length; k++) {
      const c = strColumns[k];
      const w = this.#staged[c];
      bytes += w;
      if (w > this.#widest[c]) this.#widest[c] = w;
    }
    this.bytes += bytes;
    this.count++;
  }

  /** The widest value of column `c` in UTF-8 bytes (0 for a column of another kind). */
  widest(c: number): number {
    return this.#widest[c];
  }

  /** Empties the batch (its arrays are kept for the next rows). */
  clear(): void {
    this.count = 0;
    this.bytes = 0;
    this.#widest.fill(0);
    this.#sparse = false;
    for (let c = 0; c < this.#codes.length; c++) {
      this.#big[c] = null;
      this.#nulls[c] = null;
    }
  }

  /** Cells of rows `[from, to)`, one array per column (for reads of pending rows). */
  cells(from: number, to: number): Cell[][] {
    return this.#names.map((_, c) => {
      const out: Cell[] = new Array(Math.max(0, to - from));
      for (let r = from; r < to; r++) out[r - from] = this.#cell(c, r);
      return out;
    });
  }

  #cell(c: number, r: number): Cell {
    switch (this.#codes[c]) {
      case FLOAT:
        return this.#num[c]![r];
      case INT:
        return this.#big[c]?.get(r) ?? this.#num[c]![r];
      case BOOL:
        return this.#bool[c]![r] !== 0;
      default:
        if (this.#nulls[c]?.has(r)) return null;
        return decoder.decode(
          this.#text[c]!.subarray(this.#startOf(c, r), this.#ends[c]![r]),
        );
    }
  }

  /**
   * Packs committed rows `[from, to)` (all by default) into `out`
   * (`(to - from) * layout.rowSize` bytes, zeroed) in `layout`, row `i`
   * numbered `firstIndex + i`. `column(slot)` gives the batch's column of
   * each slot. String widths must have been checked against the layout.
   */
  encode(
    layout: RowLayout,
    column: readonly number[],
    firstIndex: number,
    out: Uint8Array,
    from = 0,
    to: number = this.count,
  ): void {
    const step = layout.rowSize;
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    for (let i = from, o = layout.indexOffset; i < to; i++, o += step) {
      const v = firstIndex + i;
      view.setUint32(o, v >>> 0, true);
      view.setUint32(o + 4, Math.floor(v / TWO_32), true);
    }
    layout.columns.forEach((slot, s) => {
      const c = column[s];
      const le = slot.littleEndian;
      let o = slot.offset;
      const num = this.#num[c];
      const big = this.#big[c];
      switch (slot.encoding) {
        case "f8":
          for (let i = from; i < to; i++, o += step) {
            view.setFloat64(o, num![i], le);
          }
          return;
        case "f4":
          for (let i = from; i < to; i++, o += step) {
            view.setFloat32(o, num![i], le);
          }
          return;
        case "i8":
        case "u8":
          for (let i = from; i < to; i++, o += step) {
            const b = big?.get(i);
            if (b !== undefined) {
              view.setBigUint64(o, BigInt.asUintN(64, b), le);
              continue;
            }
            const v = num![i];
            if (le) {
              view.setUint32(o, v >>> 0, true);
              view.setInt32(o + 4, Math.floor(v / TWO_32), true);
            } else {
              view.setInt32(o, Math.floor(v / TWO_32), false);
              view.setUint32(o + 4, v >>> 0, false);
            }
          }
          return;
        case "i4":
          for (let i = from; i < to; i++, o += step) {
            view.setInt32(o, num![i], le);
          }
          return;
        case "u4":
          for (let i = from; i < to; i++, o += step) {
            view.setUint32(o, num![i], le);
          }
          return;
        case "i2":
          for (let i = from; i < to; i++, o += step) {
            view.setInt16(o, num![i], le);
          }
          return;
        case "u2":
          for (let i = from; i < to; i++, o += step) {
            view.setUint16(o, num![i], le);
          }
          return;
        case "i1":
        case "u1":
        case "b1": {
          const bools = this.#bool[c];
          if (bools !== null) {
            for (let i = from; i < to; i++, o += step) out[o] = bools[i];
          } else {
            for (let i = from; i < to; i++, o += step) out[o] = num![i] & 0xff;
          }
          return;
        }
        case "s": {
          const text = this.#text[c]!;
          const ends = this.#ends[c]!;
          let start = from === 0 ? 0 : ends[from - 1];
          for (let i = from; i < to; i++, o += step) {
            const end = ends[i];
            if (end - start <= 16) {
              for (let k = start; k < end; k++) out[o + k - start] = text[k];
            } else out.set(text.subarray(start, end), o);
            start = end;
          }
          return;
        }
      }
    });
  }
}

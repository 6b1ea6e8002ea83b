/**
 * pandas' "frame_table" (an appendable PyTables table) over h5wasm.
 *
 * Reads both layouts pandas writes: value blocks (one array field per dtype,
 * what the original cox writes) and data columns (one scalar field per
 * column, what we write, since h5wasm cannot create array fields). Rows go in
 * and out as raw bytes at the member offsets of the table's compound type, so
 * appending to a table written by Python needs no type building at all.
 *
 * @module
 */

import type { PyValue } from "../pickle/values.ts";
import { PyTuple } from "../pickle/values.ts";
import { utf8Length } from "../schema.ts";
import {
  AttributeReader,
  AttributeWriter,
  type RawAttributes,
} from "./attributes.ts";
import type { DatasetMeta } from "./fast/fast_file.ts";
import { planLayout, sameLayout } from "./layout.ts";
import {
  type BaseType,
  type FieldType,
  patchCompound,
  standIn,
} from "./datatype.ts";
import {
  attributeNames,
  createEmptyDataset,
  fillRows,
  H5Api,
  type H5Dataset,
  type H5File,
  readRows,
} from "./h5wasm.ts";

/** The kinds of value a column holds on disk. */
export type StoredKind = "float" | "int" | "bool" | "str";

/** One stored value; null is a missing string (pandas' `nan_rep`, "nan", on disk). */
export type Cell = number | bigint | boolean | string | null;

export type Encoding =
  | "f8"
  | "f4"
  | "i8"
  | "i4"
  | "i2"
  | "i1"
  | "u8"
  | "u4"
  | "u2"
  | "u1"
  | "b1"
  | "s";

/** Where one column's value sits inside a row, and how it is encoded. */
export interface ColumnSlot {
  name: string;
  kind: StoredKind;
  /** pandas' dtype name for the column (`float64`, `int64`, `bool`, `bytes48`). */
  dtype: string;
  offset: number;
  /** Bytes per value; for strings the column's width. */
  size: number;
  encoding: Encoding;
  littleEndian: boolean;
  /** The compound member holding it (the column itself, or a values block). */
  field: string;
}

/** A frame_table as found in a file. */
export interface FrameTable {
  /** The table's key: its group's name under the root. */
  key: string;
  /** Columns in frame order (pandas' `non_index_axes`). */
  columns: ColumnSlot[];
  rowSize: number;
  /** Offset of the int64 `index` field. */
  indexOffset: number;
  nrows: number;
  layout: "blocks" | "data_columns";
}

/** How rows are packed, without where they are stored. */
export type RowLayout = Pick<FrameTable, "columns" | "rowSize" | "indexOffset">;

/** The description of a column for a table we create. */
export interface NewColumn {
  name: string;
  kind: StoredKind;
  /** For str columns: width in UTF-8 bytes. */
  width?: number;
  /** For int and float columns: a numpy width other than 64 bits (`i1`, `u8`, `f4`...). */
  encoding?: ColumnSlot["encoding"];
}

const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_STRING = 3;
const H5T_BITFIELD = 4;
const H5T_COMPOUND = 6;
const H5T_ARRAY = 10;

interface MemberMeta {
  type: number;
  size: number;
  signed?: boolean;
  littleEndian?: boolean;
  name?: string;
  offset?: number;
  array_type?: MemberMeta & { shape?: number[] };
  vlen?: boolean;
}

/**
 * A file as table descriptions need it, read another way than through
 * h5wasm (the fast reader).
 */
export interface TableSource extends RawAttributes {
  /** The file's size when it is open read-only (to bound what a table may claim), else null. */
  readonly readOnlySize: number | null;
  /** A dataset's metadata in h5wasm's shape, or null when there is none. */
  datasetMeta(path: string): DatasetMeta | null;
  /** Whether the dataset at `path` has filters. */
  filtered(path: string): boolean;
}

function isSource(file: H5File | TableSource): file is TableSource {
  return typeof (file as TableSource).datasetMeta === "function";
}

/** An h5wasm file seen as a TableSource's dataset part. */
function h5Datasets(
  file: H5File,
): Pick<TableSource, "readOnlySize" | "datasetMeta" | "filtered"> {
  const get = (path: string): H5Dataset | null => {
    try {
      const d = file.get(path);
      return d instanceof H5Api.Dataset ? d : null;
    } catch {
      return null; // absent: HDF5 says so by throwing
    }
  };
  return {
    get readOnlySize() {
      return file.mode === "r" ? Deno.statSync(file.filename).size : null;
    },
    datasetMeta: (path) =>
      (get(path)?.metadata as unknown as DatasetMeta | undefined) ?? null,
    filtered: (path) => (get(path)?.filters ?? []).length > 0,
  };
}

function fail(
  file: { filename: string },
  key: string,
  what: string,
): never {
  throw new TypeError(
    `Cannot read table "${key}" in ${file.filename}: ${what}`,
  );
}

function stringList(value: PyValue | undefined): string[] | null {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    return null;
  }
  return value as string[];
}

function kindOfDtype(dtype: string): StoredKind | null {
  if (dtype === "bool") return "bool";
  if (/^float(16|32|64)$/.test(dtype)) return "float";
  if (/^u?int(8|16|32|64)$/.test(dtype)) return "int";
  if (/^bytes\d+$/.test(dtype) || /^str\d*$/.test(dtype)) return "str";
  return null;
}

/** pandas' dtype of an integer field whose column is known to be int or bool. */
function knownIntDtype(
  member: MemberMeta,
  kind: StoredKind | undefined,
): string | null {
  if (member.type !== H5T_INTEGER) return null;
  if (kind === "int") return `${member.signed ? "" : "u"}int${8 * member.size}`;
  if (kind === "bool" && member.size === 1) return "bool";
  return null;
}

/** pandas' dtype name when the HDF5 type alone tells it (not for ints). */
function dtypeOf(member: MemberMeta): string | null {
  if (member.type === H5T_FLOAT && [2, 4, 8].includes(member.size)) {
    return `float${8 * member.size}`;
  }
  if (member.type === H5T_STRING && !member.vlen) {
    return `bytes${8 * member.size}`;
  }
  if (member.type === H5T_BITFIELD && member.size === 1) return "bool";
  return null;
}

function encodingOf(member: MemberMeta, kind: StoredKind): Encoding | null {
  const { type, size, signed } = member;
  if (kind === "str") return type === H5T_STRING && !member.vlen ? "s" : null;
  if (type === H5T_FLOAT) return size === 8 ? "f8" : size === 4 ? "f4" : null;
  if (type === H5T_BITFIELD && size === 1) return "b1";
  if (type === H5T_INTEGER) {
    const bits = { 1: "1", 2: "2", 4: "4", 8: "8" }[size as 1 | 2 | 4 | 8];
    return bits === undefined
      ? null
      : `${signed ? "i" : "u"}${bits}` as Encoding;
  }
  return null;
}

/** Reads how a frame_table's rows are laid out. */
export function describeFrameTable(
  file: H5File | TableSource,
  key: string,
  groupAttrs: AttributeReader = new AttributeReader(file, `/${key}`),
  known?: Readonly<Record<string, StoredKind>>,
): FrameTable {
  const view = isSource(file) ? file : h5Datasets(file);
  const group = `/${key}`;
  // a table whose columns and kinds are known (cox's COX_DATA says them) needs
  // fewer attribute reads, which are most of the cost of opening a table
  const pandasType = known ? "frame_table" : groupAttrs.string("pandas_type");
  if (pandasType !== "frame_table") {
    fail(
      file,
      key,
      `expected a pandas frame_table, found ${
        pandasType ? `pandas_type ${pandasType}` : "no pandas_type"
      }`,
    );
  }
  const meta = view.datasetMeta(`${group}/table`);
  if (meta === null) {
    fail(file, key, `its group holds no dataset named table`);
  }
  if (
    meta.type !== H5T_COMPOUND || !meta.compound_type ||
    meta.shape?.length !== 1
  ) {
    fail(file, key, "its table is not a one-dimensional compound dataset");
  }
  const members = meta.compound_type.members;
  const index = members.find((m) => m.name === "index");
  if (!index || index.type !== H5T_INTEGER || index.size !== 8) {
    fail(file, key, "its table has no int64 index field");
  }
  const axes = known ? null : groupAttrs.pickled("non_index_axes");
  const order = known
    ? Object.keys(known)
    : Array.isArray(axes) && axes.length === 1 && Array.isArray(axes[0])
    ? stringList((axes[0] as PyValue[])[1])
    : null;
  if (order === null) {
    fail(file, key, "its non_index_axes attribute is not [(1, [columns])]");
  }
  // the value fields are the table's fields but the index (pandas' values_cols)
  const valuesCols = members.filter((m) => m !== index).map((m) => m.name!);

  const tablePath = `${group}/table`;
  const tableAttrs = new AttributeReader(file, tablePath);
  const byName = new Map<string, ColumnSlot>();
  let blocks = false;
  for (const field of valuesCols) {
    const member = members.find((m) => m.name === field);
    if (!member) {
      fail(file, key, `values field ${field} is missing from its table`);
    }
    const isArray = member.type === H5T_ARRAY &&
      member.array_type !== undefined;
    // attribute reads are the cost of opening a table: a scalar field holds
    // the column of its name, and float, string and bitfield types say their
    // dtype themselves; ints may be pandas datetimes or bools, so ask
    const base0 = isArray ? member.array_type! : member;
    const dtype = dtypeOf(base0) ??
      knownIntDtype(base0, isArray ? undefined : known?.[field]) ??
      tableAttrs.string(`${field}_dtype`);
    const kinds = isArray
      ? stringList(tableAttrs.pickled(`${field}_kind`))
      : [field];
    if (dtype === null || kinds === null) {
      fail(file, key, `field ${field} lacks its _dtype or _kind attribute`);
    }
    const kind = kindOfDtype(dtype);
    if (kind === null) {
      fail(
        file,
        key,
        `column ${
          kinds.join(", ")
        } has dtype ${dtype}; expected float, int, bool or bytes`,
      );
    }
    let base: MemberMeta = member;
    let count = 1;
    if (member.type === H5T_ARRAY && member.array_type) {
      blocks = true;
      base = member.array_type;
      count = (member.array_type.shape ?? [1]).reduce((a, b) => a * b, 1);
    }
    if (count !== kinds.length) {
      fail(
        file,
        key,
        `field ${field} holds ${count} values but names ${kinds.length} columns`,
      );
    }
    const encoding = encodingOf(base, kind);
    if (encoding === null) {
      fail(
        file,
        key,
        `field ${field} (${dtype}) has an HDF5 type we cannot decode`,
      );
    }
    kinds.forEach((name, i) => {
      byName.set(name, {
        name,
        kind,
        dtype,
        offset: member.offset! + i * base.size,
        size: base.size,
        encoding,
        littleEndian: base.littleEndian !== false,
        field,
      });
    });
  }
  const columns = order.map((name) =>
    byName.get(name) ?? fail(file, key, `column ${name} has no field`)
  );
  const extent = meta.shape[0];
  const declared = tableAttrs.int("NROWS");
  const nrows =
    typeof declared === "number" && declared >= 0 && declared <= extent
      ? declared
      : extent;
  checkTableSize(file, view, key, nrows, meta.size);
  return {
    key,
    columns,
    rowSize: meta.size,
    indexOffset: index.offset!,
    nrows,
    layout: blocks ? "blocks" : "data_columns",
  };
}

// deflate, the one compressing filter h5wasm has, inflates at most about 1032:1
const MAX_FILTER_RATIO = 1032;

/**
 * Refuses a table that claims more rows than its file can hold: unfiltered
 * rows take their full size in the file, filtered ones at most
 * MAX_FILTER_RATIO times less. (Only for files open read-only: a file being
 * written may not be on disk yet.) A table's size is otherwise unbounded:
 * its rows are read by ranges (see `readColumns`).
 */
function checkTableSize(
  file: { filename: string },
  view: Pick<TableSource, "readOnlySize" | "filtered">,
  key: string,
  rows: number,
  rowSize: number,
): void {
  const bytes = rows * rowSize;
  const size = bytes > 0 ? view.readOnlySize : null;
  let limit = Number.MAX_SAFE_INTEGER;
  if (size !== null) {
    const filtered = view.filtered(`/${key}/table`);
    limit = filtered ? size * MAX_FILTER_RATIO : size;
  }
  if (!(rowSize > 0) || !Number.isSafeInteger(bytes) || bytes > limit) {
    throw new RangeError(
      `Cannot read table "${key}" in ${file.filename}: it claims ${rows} rows of ${rowSize} bytes, ` +
        `more than its file can hold`,
    );
  }
}

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

function decodeString(bytes: Uint8Array, start: number, size: number): string {
  let end = start + size;
  while (end > start && bytes[end - 1] === 0) end--;
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (bytes[i] >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]);
    return s;
  }
  return utf8.decode(bytes.subarray(start, end));
}

/**
 * The strings of one column, decoded once per distinct value: a column's
 * strings repeat (a phase, a name, a run's arch), and a value seen before is
 * found by its bytes' hash and compared byte for byte, so a repeated cell is
 * the same string, not a new one. At most `MAX_DISTINCT` values are kept.
 */
class StringCells {
  static readonly MAX_DISTINCT = 1024;
  readonly #bytes: Uint8Array;
  readonly #size: number;
  readonly #known = new Map<number, { at: number; text: string }>();

  constructor(bytes: Uint8Array, size: number) {
    this.#bytes = bytes;
    this.#size = size;
  }

  at(o: number): string {
    const bytes = this.#bytes;
    let end = o + this.#size;
    while (end > o && bytes[end - 1] === 0) end--;
    let hash = 0x811c9dc5 ^ (end - o);
    for (let i = o; i < end; i++) hash = Math.imul(hash ^ bytes[i], 0x1000193);
    const known = this.#known.get(hash);
    if (
      known !== undefined && sameBytes(bytes, known.at, o, end - o, this.#size)
    ) {
      return known.text;
    }
    const text = decodeString(bytes, o, this.#size);
    if (known === undefined && this.#known.size < StringCells.MAX_DISTINCT) {
      this.#known.set(hash, { at: o, text });
    }
    return text;
  }
}

/** Whether the cell at `a` holds the `length` bytes at `b` followed only by zeros. */
function sameBytes(
  bytes: Uint8Array,
  a: number,
  b: number,
  length: number,
  size: number,
): boolean {
  for (let i = 0; i < length; i++) {
    if (bytes[a + i] !== bytes[b + i]) return false;
  }
  for (let i = length; i < size; i++) if (bytes[a + i] !== 0) return false;
  return true;
}

/** What pandas writes for a missing string (its default `nan_rep`, cox's). */
export const NAN_REP = "nan";

const TWO_32 = 4294967296;

// int64 through two 32-bit halves: exact, and much cheaper than a BigInt per value
function getInt64(
  view: DataView,
  o: number,
  le: boolean,
  signed: boolean,
): number | bigint {
  const lo = view.getUint32(le ? o : o + 4, le);
  const hi = signed
    ? view.getInt32(le ? o + 4 : o, le)
    : view.getUint32(le ? o + 4 : o, le);
  if (hi >= -0x200000 && hi < 0x200000) return hi * TWO_32 + lo;
  return signed ? view.getBigInt64(o, le) : view.getBigUint64(o, le);
}

function setInt64(
  view: DataView,
  o: number,
  v: number | bigint,
  le: boolean,
): void {
  if (typeof v === "bigint") {
    view.setBigInt64(o, v, le);
    return;
  }
  view.setUint32(le ? o : o + 4, v >>> 0, le);
  view.setInt32(le ? o + 4 : o, Math.floor(v / TWO_32), le);
}

/** Decodes raw rows into one array of cells per column, in column order. */
export function decodeRows(table: RowLayout, bytes: Uint8Array): Cell[][] {
  const n = Math.floor(bytes.length / table.rowSize);
  return table.columns.map((slot) => {
    const out: Cell[] = new Array(n);
    decodeColumn(table, slot, bytes, out, 0);
    return out;
  });
}

/**
 * Decodes column `slot` of raw rows into `out[at]`, `out[at + 1]`, ...
 * (an array of cells, or a `Float64Array` for a float column); returns the
 * number of rows. The one place where cells are decoded.
 */
export function decodeColumn(
  table: RowLayout,
  slot: ColumnSlot,
  bytes: Uint8Array,
  out: { [i: number]: Cell },
  at: number,
): number {
  const n = Math.floor(bytes.length / table.rowSize);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = slot.littleEndian;
  let o = slot.offset;
  const step = table.rowSize;
  const end = at + n;
  switch (slot.encoding) {
    case "f8":
      for (let i = at; i < end; i++, o += step) out[i] = view.getFloat64(o, le);
      break;
    case "f4":
      for (let i = at; i < end; i++, o += step) out[i] = view.getFloat32(o, le);
      break;
    case "i8":
      for (let i = at; i < end; i++, o += step) {
        out[i] = getInt64(view, o, le, true);
      }
      break;
    case "u8":
      for (let i = at; i < end; i++, o += step) {
        out[i] = getInt64(view, o, le, false);
      }
      break;
    case "i4":
      for (let i = at; i < end; i++, o += step) out[i] = view.getInt32(o, le);
      break;
    case "u4":
      for (let i = at; i < end; i++, o += step) out[i] = view.getUint32(o, le);
      break;
    case "i2":
      for (let i = at; i < end; i++, o += step) out[i] = view.getInt16(o, le);
      break;
    case "u2":
      for (let i = at; i < end; i++, o += step) out[i] = view.getUint16(o, le);
      break;
    case "i1":
      for (let i = at; i < end; i++, o += step) {
        out[i] = slot.kind === "bool" ? view.getInt8(o) !== 0 : view.getInt8(o);
      }
      break;
    case "u1":
    case "b1":
      for (let i = at; i < end; i++, o += step) {
        out[i] = slot.kind === "bool" ? bytes[o] !== 0 : bytes[o];
      }
      break;
    case "s": {
      const seen = new StringCells(bytes, slot.size);
      for (let i = at; i < end; i++, o += step) {
        const text = seen.at(o);
        // pandas reads its nan_rep as a missing value
        out[i] = slot.kind === "str" && text === NAN_REP ? null : text;
      }
      break;
    }
  }
  return n;
}

/**
 * Column `slot` of the raw rows `bytes` as numbers, into `out` (one per row):
 * bools as 0/1, 64-bit ints rounded to the nearest double past 2^53 (as
 * `Number(bigint)` rounds), with no cell made on the way. Not for strings.
 */
export function decodeNumbers(
  table: RowLayout,
  slot: ColumnSlot,
  bytes: Uint8Array,
  out: Float64Array,
): void {
  if (slot.encoding === "s") {
    throw new TypeError(`column "${slot.name}" holds strings, not numbers`);
  }
  if (slot.encoding !== "i8" && slot.encoding !== "u8") {
    // numbers already, or bools the typed array stores as 0/1
    decodeColumn(table, slot, bytes, out, 0);
    return;
  }
  // hi * 2^32 is exact: adding lo rounds once, as Number(bigint) does (no
  // BigInt is made for values past 2^53, as decodeColumn makes)
  const n = Math.min(out.length, Math.floor(bytes.length / table.rowSize));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = slot.littleEndian;
  const signed = slot.encoding === "i8";
  const lo = le ? 0 : 4;
  const hi = le ? 4 : 0;
  for (let i = 0, o = slot.offset; i < n; i++, o += table.rowSize) {
    const h = signed ? view.getInt32(o + hi, le) : view.getUint32(o + hi, le);
    out[i] = h * TWO_32 + view.getUint32(o + lo, le);
  }
}

/** Reads rows `[start, start + count)` as one array of cells per column. */
export function readColumns(
  file: H5File,
  table: FrameTable,
  start = 0,
  count = table.nrows - start,
): Cell[][] {
  const bytes = readRows(
    file,
    `/${table.key}/table`,
    start,
    count,
    table.rowSize,
  );
  return decodeRows(table, bytes);
}

export { utf8Length };

/** The UTF-8 length of the longest of `values` (0 for none; a missing one is NAN_REP). */
export function widestString(values: readonly (string | null)[]): number {
  let widest = 0;
  for (const value of values) {
    const v = value ?? NAN_REP;
    // a string takes at most 3 bytes per UTF-16 unit
    if (v.length * 3 <= widest) continue;
    const n = utf8Length(v);
    if (n > widest) widest = n;
  }
  return widest;
}

/**
 * For each str column, the width its values need (in UTF-8 bytes); only
 * columns whose width is exceeded are listed.
 */
export function widthsExceeded(
  table: RowLayout,
  columns: Cell[][],
): Map<string, number> {
  const out = new Map<string, number>();
  table.columns.forEach((slot, c) => {
    if (slot.kind !== "str") return;
    const widest = widestString(columns[c] as string[]);
    if (widest > slot.size) out.set(slot.name, widest);
  });
  return out;
}

/**
 * Packs rows (one array per column, in column order) into the table's raw
 * layout, numbering them from `firstIndex`, in `out` when given (zeroed,
 * of the rows' length). Widths must have been checked. With `from`, the
 * rows are `[from, from + n)` of the columns, `n` the rows `out` holds (so
 * a long column is packed slice by slice without being sliced).
 */
export function encodeRows(
  table: RowLayout,
  columns: Cell[][],
  firstIndex: number,
  out?: Uint8Array,
  from?: number,
): Uint8Array {
  const f = from ?? 0;
  const n = from === undefined || out === undefined
    ? (columns.length > 0 ? columns[0].length : 0) - f
    : out.length / table.rowSize;
  const bytes = out ?? new Uint8Array(n * table.rowSize);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const step = table.rowSize;
  // row numbers are below 2^53: two 32-bit halves, no bigint
  for (let i = 0, o = table.indexOffset; i < n; i++, o += step) {
    const v = firstIndex + i;
    view.setUint32(o, v >>> 0, true);
    view.setUint32(o + 4, Math.floor(v / TWO_32), true);
  }
  table.columns.forEach((slot, c) => {
    const values = columns[c];
    const le = slot.littleEndian;
    let o = slot.offset;
    switch (slot.encoding) {
      case "f8":
        for (let i = 0; i < n; i++, o += step) {
          view.setFloat64(o, values[f + i] as number, le);
        }
        break;
      case "f4":
        for (let i = 0; i < n; i++, o += step) {
          view.setFloat32(o, values[f + i] as number, le);
        }
        break;
      case "i8":
        if (values instanceof BigInt64Array) {
          // a typed bigint column (appendColumns): one monomorphic loop
          const big = values as BigInt64Array;
          for (let i = 0; i < n; i++, o += step) {
            view.setBigInt64(o, big[f + i], le);
          }
          break;
        }
        for (let i = 0; i < n; i++, o += step) {
          setInt64(view, o, values[f + i] as number | bigint, le);
        }
        break;
      case "u8":
        for (let i = 0; i < n; i++, o += step) {
          view.setBigUint64(o, BigInt(values[f + i] as number), le);
        }
        break;
      case "i4":
        for (let i = 0; i < n; i++, o += step) {
          view.setInt32(o, Number(values[f + i]), le);
        }
        break;
      case "u4":
        for (let i = 0; i < n; i++, o += step) {
          view.setUint32(o, Number(values[f + i]), le);
        }
        break;
      case "i2":
        for (let i = 0; i < n; i++, o += step) {
          view.setInt16(o, Number(values[f + i]), le);
        }
        break;
      case "u2":
        for (let i = 0; i < n; i++, o += step) {
          view.setUint16(o, Number(values[f + i]), le);
        }
        break;
      case "i1":
      case "u1":
      case "b1":
        for (let i = 0; i < n; i++, o += step) {
          const v = values[f + i];
          bytes[o] = typeof v === "boolean" ? (v ? 1 : 0) : Number(v) & 0xff;
        }
        break;
      case "s":
        for (let i = 0; i < n; i++, o += step) {
          const v = (values[f + i] as string | null) ?? NAN_REP;
          const units = v.length;
          // ASCII is copied unit by unit, with no branch per unit: the
          // units are OR-ed, and a string with any unit >= 0x80 is encoded
          // again below, over what was copied
          let seen = units <= slot.size ? 0 : 0x80;
          if (seen === 0) {
            for (let k = 0; k < units; k++) {
              const code = v.charCodeAt(k);
              bytes[o + k] = code;
              seen |= code;
            }
          }
          if (seen >= 0x80) {
            const encoded = encoder.encode(v);
            bytes.fill(0, o, o + slot.size);
            bytes.set(encoded.subarray(0, slot.size), o);
          }
        }
        break;
    }
  });
  return bytes;
}

/**
 * Marks the PyTables indexes of a table (`<key>/_i_table/<column>`, which
 * pandas makes for `index` and for data columns) dirty, so that PyTables
 * scans the rows instead of trusting an index that lacks ours (it answers
 * `where="index >= n"` from the index alone when n is past what it
 * covers), and rebuilds them at its next append.
 */
function dirtyIndexes(file: H5File, key: string): void {
  const path = `/${key}/_i_table`;
  if (!exists(file, path)) return;
  const group = file.get(path);
  if (!(group instanceof H5Api.Group)) return;
  for (const column of group.keys()) {
    const index = `${path}/${column}`;
    if (!attributeNames(file, index).includes("DIRTY")) continue;
    if (new AttributeReader(file, index).int("DIRTY") === 1) continue;
    new AttributeWriter(file, index).int32("DIRTY", 1);
  }
}

/** Appends raw rows at the end of a table and updates its row count. */
export function appendRows(
  file: H5File,
  table: FrameTable,
  bytes: Uint8Array,
): void {
  const size = table.rowSize;
  appendRowsWith(
    file,
    table,
    bytes.length / size,
    (out, from) =>
      out.set(bytes.subarray(from * size, from * size + out.length)),
    false,
  );
}

/**
 * Appends `count` rows at the end of a table, packed by `fill` straight
 * into the buffer HDF5 writes from (see `fillRows`: `fill(out, from)` packs
 * rows `[from, from + out.length / rowSize)` of those appended, zeroed
 * unless `zeroed` is false), and updates its row count. The dataset is
 * extended once, and `NROWS` is set after the rows are written.
 */
export function appendRowsWith(
  file: H5File,
  table: FrameTable,
  count: number,
  fill: (out: Uint8Array, from: number) => void,
  zeroed = true,
): void {
  if (count === 0) return;
  dirtyIndexes(file, table.key);
  const path = `/${table.key}/table`;
  const dataset = file.get(path) as H5Dataset;
  const total = table.nrows + count;
  dataset.resize([total]);
  fillRows(file, path, table.nrows, count, table.rowSize, fill, zeroed);
  new AttributeWriter(file, path).int("NROWS", total);
  table.nrows = total;
}

/** HDF5's "no limit" for a dataspace dimension. */
const H5S_UNLIMITED = 2n ** 64n - 1n;

/** The most bytes a chunk of a table we create holds (HDF5 reads and writes whole chunks). */
export const CHUNK_MAX_BYTES = 1 << 20;
/** Rows whose strings take this many bytes are deflated (most of them is padding). */
const DEFLATE_STRING_BYTES = 1024;

/** The base type of a slot's elements in the file. */
function baseType(slot: ColumnSlot): BaseType {
  switch (slot.encoding) {
    case "s":
      return { class: "string", size: slot.size };
    case "b1":
      return { class: "bitfield", size: 1 };
    case "f8":
    case "f4":
      return { class: "float", size: slot.size as 4 | 8 };
    default:
      return {
        class: "int",
        size: slot.size as 1 | 2 | 4 | 8,
        signed: slot.encoding[0] === "i",
      };
  }
}

/** The compound fields of a planned layout: the index, then one array per block. */
function fieldsOf(layout: RowLayout): FieldType[] {
  const fields: FieldType[] = [{
    name: "index",
    offset: layout.indexOffset,
    base: { class: "int", size: 8, signed: true },
  }];
  const byField = new Map<string, FieldType>();
  for (const slot of [...layout.columns].sort((a, b) => a.offset - b.offset)) {
    const field = byField.get(slot.field);
    if (field) {
      field.count! += 1;
      continue;
    }
    const f = {
      name: slot.field,
      offset: slot.offset,
      base: baseType(slot),
      count: 1,
    };
    byField.set(slot.field, f);
    fields.push(f);
  }
  return fields;
}

/** Whether the object at `path` exists. */
export function exists(file: H5File, path: string): boolean {
  try {
    return file.get(path) !== null;
  } catch {
    return false;
  }
}

/** Creates the groups above a nested table key (`train` for `train/acc`) as PyTables does. */
function ensureParents(file: H5File, key: string): void {
  const parts = key.split("/");
  for (let i = 1; i < parts.length; i++) {
    const path = `/${parts.slice(0, i).join("/")}`;
    if (exists(file, path)) continue;
    file.create_group(path.slice(1));
    new AttributeWriter(file, path, true)
      .string("CLASS", "GROUP")
      .string("TITLE", "")
      .string("VERSION", "1.0");
  }
}

/** Rows per chunk: as asked (default: about 64 KiB), within CHUNK_MAX_BYTES, at least one. */
function chunkRowsFor(rowSize: number, asked: number | undefined): number {
  const wanted = asked ?? Math.max(64, Math.floor(65536 / rowSize));
  return Math.max(1, Math.min(wanted, Math.floor(CHUNK_MAX_BYTES / rowSize)));
}

/**
 * Creates an empty frame_table in pandas' own value-blocks layout (see
 * `planLayout`), with pandas' and PyTables' attributes, plus any extra
 * pickled group attributes (cox's `COX_DATA`). Returns its description.
 * The file is closed and reopened on the way (`patchCompound`).
 */
export function createFrameTable(
  file: H5File,
  key: string,
  columns: NewColumn[],
  extraAttributes: Record<string, PyValue> = {},
  chunkRows?: number,
): FrameTable {
  ensureRootAttributes(file);
  ensureParents(file, key);
  const group = `/${key}`;
  const plan = planLayout(key, columns);
  const fields = fieldsOf(plan);
  const blocks = fields.slice(1);
  file.create_group(key);
  const groupAttrs = new AttributeWriter(file, group, true);
  for (const [name, text] of Object.entries(GROUP_STRINGS)) {
    groupAttrs.string(name, text);
  }
  groupAttrs.int("levels", 1);
  const names = columns.map((c) => c.name);
  groupAttrs.pickled("index_cols", [tupleOf(0, "index")]);
  groupAttrs.pickled("values_cols", blocks.map((b) => b.name));
  groupAttrs.pickled("data_columns", []);
  groupAttrs.pickled("non_index_axes", [tupleOf(1, names)]);
  const info = new Map<PyValue, PyValue>([
    [1, { names: [null], type: "Index" }],
    ["index", {}],
  ]);
  for (const block of blocks) info.set(block.name, {});
  groupAttrs.pickled("info", info);
  for (const [name, value] of Object.entries(extraAttributes)) {
    groupAttrs.pickled(name, value);
  }

  const path = `${group}/table`;
  const stringBytes = plan.columns.reduce(
    (n, c) => n + (c.kind === "str" ? c.size : 0),
    0,
  );
  const { metadata } = standIn(fields, plan.rowSize);
  createEmptyDataset(file, path, {
    ...metadata,
    shape: [0n],
    maxshape: [H5S_UNLIMITED],
    chunks: [BigInt(chunkRowsFor(plan.rowSize, chunkRows))],
    compression: stringBytes >= DEFLATE_STRING_BYTES ? 1 : 0,
    compression_opts: stringBytes >= DEFLATE_STRING_BYTES ? [1] : [],
    track_order: false,
  });
  const tableAttrs = new AttributeWriter(file, path, true);
  tableAttrs.string("CLASS", "TABLE");
  tableAttrs.string("VERSION", "2.7");
  tableAttrs.string("TITLE", "");
  tableAttrs.int("NROWS", 0);
  tableAttrs.string("index_kind", "integer");
  fields.forEach((f, i) => tableAttrs.string(`FIELD_${i}_NAME`, f.name));
  for (const block of blocks) {
    const slots = plan.columns.filter((c) => c.field === block.name)
      .sort((a, b) => a.offset - b.offset);
    tableAttrs.string(`${block.name}_dtype`, slots[0].dtype);
    tableAttrs.pickled(`${block.name}_kind`, slots.map((s) => s.name));
    tableAttrs.pickled(`${block.name}_meta`, null);
  }
  patchCompound(file, path, fields, plan.rowSize);
  const known = Object.fromEntries(columns.map((c) => [c.name, c.kind]));
  const made = describeFrameTable(file, key, undefined, known);
  if (!sameLayout(made, plan)) {
    throw new Error(
      `Cannot create table "${key}" in ${file.filename}: HDF5 laid its rows out differently than planned`,
    );
  }
  return made;
}

function tupleOf(...items: PyValue[]): PyTuple {
  const t = new PyTuple();
  t.push(...items);
  return t;
}

const GROUP_STRINGS = {
  CLASS: "GROUP",
  TITLE: "",
  VERSION: "1.0",
  pandas_type: "frame_table",
  pandas_version: "0.15.2",
  table_type: "appendable_frame",
  encoding: "UTF-8",
  errors: "strict",
  nan_rep: "nan",
};

/** The most groups `findTables` looks into (a hostile file may hold millions). */
export const MAX_GROUPS_VISITED = 20000;

/** A pandas object found in a file: a cox table (it has COX_DATA) or another. */
export interface FoundObject {
  /** Its key: the group's path without the leading `/` (`train/acc`). */
  key: string;
  /** Whether the group carries cox's `COX_DATA`. */
  cox: boolean;
}

/**
 * The pandas objects of a file, at any depth (pandas keys and cox table
 * names may hold `/`): groups with `COX_DATA` or `pandas_type`. Other
 * groups are looked into (PyTables' intermediate groups); at most
 * MAX_GROUPS_VISITED groups are.
 */
export function findTables(file: H5File): FoundObject[] {
  const found: FoundObject[] = [];
  const queue = ["/"];
  for (let visited = 0; queue.length > 0; visited++) {
    if (visited >= MAX_GROUPS_VISITED) {
      throw new RangeError(
        `Cannot list the tables of ${file.filename}: it has more than ${MAX_GROUPS_VISITED} groups`,
      );
    }
    const path = queue.shift()!;
    const group = file.get(path);
    if (!(group instanceof H5Api.Group)) continue;
    for (const name of group.keys()) {
      const child = path === "/" ? `/${name}` : `${path}/${name}`;
      let type: unknown;
      try {
        type = file.get(child);
      } catch {
        continue; // a dangling link
      }
      if (!(type instanceof H5Api.Group)) continue;
      const attrs = attributeNames(file, child);
      if (attrs.includes("COX_DATA")) {
        found.push({ key: child.slice(1), cox: true });
      } else if (attrs.includes("pandas_type")) {
        found.push({ key: child.slice(1), cox: false });
      } else {
        queue.push(child);
      }
    }
  }
  return found;
}

/** Gives the root group PyTables' attributes, once. */
export function ensureRootAttributes(file: H5File): void {
  if (new AttributeReader(file, "/").has("PYTABLES_FORMAT_VERSION")) return;
  new AttributeWriter(file, "/")
    .string("CLASS", "GROUP")
    .string("PYTABLES_FORMAT_VERSION", "2.1")
    .string("TITLE", "")
    .string("VERSION", "1.0");
}

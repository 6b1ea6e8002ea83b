/**
 * Row layouts planned before a table exists: what `createFrameTable` gives a
 * set of columns, and whether rows packed for one layout can be copied as
 * they are into another.
 *
 * @module
 */

import type {
  Cell,
  ColumnSlot,
  FrameTable,
  NewColumn,
  RowLayout,
} from "./frame_table.ts";

/** pandas' dtype names of the fixed-size encodings. */
const DTYPE: Record<Exclude<ColumnSlot["encoding"], "s">, string> = {
  f8: "float64",
  f4: "float32",
  i8: "int64",
  i4: "int32",
  i2: "int16",
  i1: "int8",
  u8: "uint64",
  u4: "uint32",
  u2: "uint16",
  u1: "uint8",
  b1: "bool",
};

const SIZE: Record<Exclude<ColumnSlot["encoding"], "s">, number> = {
  f8: 8,
  f4: 4,
  i8: 8,
  i4: 4,
  i2: 2,
  i1: 1,
  u8: 8,
  u4: 4,
  u2: 2,
  u1: 1,
  b1: 1,
};

/** The encoding a new column is stored with: its own, or its kind's default. */
function encodingOf(column: NewColumn): ColumnSlot["encoding"] {
  if (column.kind === "str") return "s";
  // bools are bitfields, as pandas writes them (never an int8 of an older layout)
  if (column.kind === "bool") return "b1";
  const e = column.encoding;
  if (column.kind === "float") return e === "f4" ? "f4" : "f8";
  return e !== undefined && /^[iu][1248]$/.test(e) ? e : "i8";
}

/** Bytes, pandas dtype and encoding of a column as we write it. */
export function columnType(
  column: NewColumn,
): { size: number; pandas: string; encoding: ColumnSlot["encoding"] } {
  const encoding = encodingOf(column);
  if (encoding === "s") {
    const width = Math.max(1, column.width ?? 1);
    return { size: width, pandas: `bytes${8 * width}`, encoding };
  }
  return { size: SIZE[encoding], pandas: DTYPE[encoding], encoding };
}

/**
 * The layout `createFrameTable` gives these columns, pandas' own: the int64
 * index first, then one array field per dtype (`values_block_<k>`, in order
 * of each dtype's first column) holding its columns in order. All string
 * columns share one block, as wide as the widest of them.
 */
export function planLayout(key: string, columns: NewColumn[]): FrameTable {
  const blocks: { encoding: ColumnSlot["encoding"]; columns: NewColumn[] }[] =
    [];
  for (const column of columns) {
    const encoding = encodingOf(column);
    let block = blocks.find((b) => b.encoding === encoding);
    if (block === undefined) {
      block = { encoding, columns: [] };
      blocks.push(block);
    }
    block.columns.push(column);
  }
  let offset = 8;
  const byName = new Map<string, ColumnSlot>();
  blocks.forEach((block, k) => {
    const width = Math.max(
      ...block.columns.map((c) => columnType(c).size),
    );
    const t = columnType({ ...block.columns[0], width });
    for (const column of block.columns) {
      byName.set(column.name, {
        name: column.name,
        kind: column.kind,
        dtype: t.pandas,
        offset,
        size: t.size,
        encoding: t.encoding,
        littleEndian: true,
        field: `values_block_${k}`,
      });
      offset += t.size;
    }
  });
  return {
    key,
    columns: columns.map((c) => byName.get(c.name)!),
    rowSize: offset,
    indexOffset: 0,
    nrows: 0,
    layout: "blocks",
  };
}

/** The columns to create a table with so that it gets `layout`'s kinds, widths and numeric types. */
export function columnsOf(layout: Pick<RowLayout, "columns">): NewColumn[] {
  return layout.columns.map((slot) => ({
    name: slot.name,
    kind: slot.kind,
    width: slot.kind === "str" ? slot.size : undefined,
    encoding: slot.kind === "str" || slot.kind === "bool"
      ? undefined
      : slot.encoding,
  }));
}

/** Whether rows packed for one layout can be copied as they are into another. */
export function sameLayout(a: RowLayout, b: RowLayout): boolean {
  return a.rowSize === b.rowSize && a.indexOffset === b.indexOffset &&
    a.columns.length === b.columns.length &&
    a.columns.every((c, i) => {
      const d = b.columns[i];
      // byte order means nothing for strings and single bytes (HDF5 reports either)
      const ordered = c.size > 1 && c.encoding !== "s";
      return c.name === d.name && c.offset === d.offset && c.size === d.size &&
        c.encoding === d.encoding &&
        (!ordered || c.littleEndian === d.littleEndian) &&
        (c.kind === "bool") === (d.kind === "bool");
    });
}

/** The column names of a layout, in its order. */
export function columnNames(layout: Pick<RowLayout, "columns">): string[] {
  return layout.columns.map((c) => c.name);
}

/** Columns of cells (named `from`, in that order) put in the order of `to`. */
export function reorder(
  cells: readonly Cell[][],
  from: readonly string[],
  to: readonly string[],
): Cell[][] {
  return to.map((name) => cells[from.indexOf(name)]);
}

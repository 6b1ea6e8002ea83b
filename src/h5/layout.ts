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

/** Bytes, pandas dtype and encoding of a column in the data-columns layout we write. */
export function columnType(
  column: NewColumn,
): { size: number; pandas: string; encoding: ColumnSlot["encoding"] } {
  switch (column.kind) {
    case "float":
      return { size: 8, pandas: "float64", encoding: "f8" };
    case "int":
      return { size: 8, pandas: "int64", encoding: "i8" };
    case "bool":
      // h5wasm cannot make H5T_STD_B8LE; pandas reads an int8 field with _dtype bool as bool
      return { size: 1, pandas: "bool", encoding: "i1" };
    case "str": {
      const width = Math.max(1, column.width ?? 1);
      return { size: width, pandas: `bytes${8 * width}`, encoding: "s" };
    }
  }
}

/**
 * The layout `createFrameTable` gives these columns: the int64 index first,
 * then each column packed in order.
 */
export function planLayout(key: string, columns: NewColumn[]): FrameTable {
  let offset = 8;
  const slots: ColumnSlot[] = columns.map((column) => {
    const t = columnType(column);
    const slot: ColumnSlot = {
      name: column.name,
      kind: column.kind,
      dtype: t.pandas,
      offset,
      size: t.size,
      encoding: t.encoding,
      littleEndian: true,
      field: column.name,
    };
    offset += t.size;
    return slot;
  });
  return {
    key,
    columns: slots,
    rowSize: offset,
    indexOffset: 0,
    nrows: 0,
    layout: "data_columns",
  };
}

/** The columns to create a table with so that it gets `layout`'s kinds and string widths. */
export function columnsOf(layout: Pick<RowLayout, "columns">): NewColumn[] {
  return layout.columns.map((slot) => ({
    name: slot.name,
    kind: slot.kind,
    width: slot.kind === "str" ? slot.size : undefined,
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

/**
 * `toParquet` and `toArrow`: one data frame (as `CollectionReader.df` gives
 * it) as the bytes of a Parquet file or an Arrow IPC stream.
 *
 * @module
 */

import type { DataFrame } from "../data_frame.ts";
import type { ColumnKind } from "../schema.ts";
import {
  type Batch,
  cellEncoding,
  convertCells,
  type ExportColumn,
  exportType,
} from "./columns.ts";
import { batchToIpc } from "./arrow.ts";
import { ParquetSink } from "./parquet.ts";
import { MemoryTarget } from "./sink.ts";

/** How a data frame is written. */
export interface FrameExportOptions {
  /**
   * The cox kind of some columns (as `reader.schemas[table]`); the others
   * are inferred from their values: a `Float64Array` or any non-integer
   * number is float, integers (numbers or bigints) int, booleans bool,
   * anything else str, with OBJECT-like values (arrays, objects) as JSON.
   */
  kinds?: Readonly<Record<string, ColumnKind>>;
  /** Key-value metadata for the Parquet file's footer. */
  metadata?: Readonly<Record<string, string>>;
}

function inferKind(values: ArrayLike<unknown>): ColumnKind {
  if (values instanceof Float64Array || values instanceof Float32Array) {
    return "float";
  }
  let seen: ColumnKind | null = null;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    let kind: ColumnKind;
    if (typeof v === "bigint") kind = "int";
    else if (typeof v === "number") {
      kind = Number.isInteger(v) ? "int" : "float";
    } else if (typeof v === "boolean") kind = "bool";
    else if (typeof v === "string") kind = "str";
    else return "__object__";
    if (seen === null || seen === kind) seen = kind;
    else if (
      (seen === "int" && kind === "float") ||
      (seen === "float" && kind === "int")
    ) seen = "float";
    else return "__object__";
  }
  return seen ?? "str";
}

function frameBatch(
  df: DataFrame,
  options: FrameExportOptions,
): { columns: ExportColumn[]; batch: Batch } {
  const names = df.columnNames();
  const columns: ExportColumn[] = [];
  const values = [];
  for (const name of names) {
    const cells = df.array(name) as ArrayLike<unknown>;
    const kind = options.kinds?.[name] ?? inferKind(cells);
    const column: ExportColumn = {
      name,
      type: exportType(kind),
      kind,
      encoding: cellEncoding(kind, false),
      nullable: true,
    };
    // cells already decoded by df(): OBJECT/PICKLE values become JSON text
    columns.push(column);
    values.push(convertCells(column, cells, df.numRows()));
  }
  return { columns, batch: { rows: df.numRows(), columns: values } };
}

/**
 * A data frame as the bytes of a Parquet file (snappy, row groups of 16,384
 * rows), types as {@link exportSweep} writes them.
 *
 * @example
 * ```ts
 * import { CollectionReader, Store } from "../../mod.ts";
 * import { toParquet } from "../../export.ts";
 * const dir = await Deno.makeTempDir();
 * using store = await Store.open(dir, "run-1");
 * store.addTable("log", { step: "int" }).appendRow({ step: 2n ** 60n });
 * store.close();
 * using reader = await CollectionReader.open(dir);
 * const bytes = toParquet(reader.df("log"), { kinds: reader.schemas.log });
 * console.assert(new TextDecoder().decode(bytes.subarray(0, 4)) === "PAR1");
 * ```
 */
export function toParquet(
  df: DataFrame,
  options: FrameExportOptions = {},
): Uint8Array {
  const { columns, batch } = frameBatch(df, options);
  const target = new MemoryTarget();
  const sink = new ParquetSink(target, {
    columns,
    metadata: options.metadata ?? {},
  });
  sink.write(batch);
  sink.commit();
  return target.bytes();
}

/**
 * A data frame as the bytes of an Arrow IPC stream, through Arquero's
 * `toArrowIPC`, with the same types as {@link toParquet} (int64, float64,
 * bool, utf8).
 */
export function toArrow(
  df: DataFrame,
  options: Omit<FrameExportOptions, "metadata"> = {},
): Uint8Array {
  const { columns, batch } = frameBatch(df, options);
  return batchToIpc(columns, batch);
}

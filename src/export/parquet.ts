/**
 * Parquet output through hyparquet-writer: rows buffered into row groups of
 * at most {@link ROW_GROUP_ROWS}, each written to the target as soon as it is
 * complete, so memory holds one row group (or one run, when a run is larger).
 *
 * @module
 */

import { ByteWriter, ParquetWriter } from "npm:hyparquet-writer@0.17.0";
import {
  type Batch,
  concatBatches,
  type ExportColumn,
  type ExportType,
} from "./columns.ts";
import type { ByteTarget, Sink, SinkOptions } from "./sink.ts";

/** Rows per row group: runs are gathered until a group has this many. */
export const ROW_GROUP_ROWS = 16384;

const PHYSICAL: Record<
  ExportType,
  "INT64" | "DOUBLE" | "BOOLEAN" | "BYTE_ARRAY"
> = {
  int64: "INT64",
  double: "DOUBLE",
  boolean: "BOOLEAN",
  utf8: "BYTE_ARRAY",
};

/** The Parquet schema of the columns (UTF8 for text, all OPTIONAL but the non-nullable). */
function parquetSchema(columns: readonly ExportColumn[]) {
  return [
    { name: "schema", num_children: columns.length },
    ...columns.map((c) => ({
      name: c.name,
      type: PHYSICAL[c.type],
      repetition_type: c.nullable ? "OPTIONAL" as const : "REQUIRED" as const,
      ...(c.type === "utf8" ? { converted_type: "UTF8" as const } : {}),
    })),
  ];
}

/** A Parquet file written row group by row group. */
export class ParquetSink implements Sink {
  readonly #target: ByteTarget;
  readonly #columns: readonly ExportColumn[];
  readonly #bytes: ByteWriter;
  readonly #writer: ParquetWriter;
  #pending: Batch[] = [];
  #pendingRows = 0;

  /** Starts the file: its schema and key-value metadata are fixed here. */
  constructor(target: ByteTarget, options: SinkOptions) {
    this.#target = target;
    this.#columns = options.columns;
    const bytes = new ByteWriter(1 << 20);
    const flush = () => {
      target.write(new Uint8Array(bytes.buffer, 0, bytes.index));
      bytes.index = 0;
    };
    // hyparquet-writer calls flush() after each row group: the bytes go out then
    (bytes as ByteWriter & { flush(): void }).flush = flush;
    bytes.finish = flush;
    this.#bytes = bytes;
    this.#writer = new ParquetWriter({
      writer: bytes,
      schema: parquetSchema(options.columns),
      codec: "SNAPPY",
      kvMetadata: Object.entries(options.metadata).map(([key, value]) => ({
        key,
        value,
      })),
      createdBy: "cox for Deno (hyparquet-writer 0.17.0)",
    });
  }

  /** Buffers rows, writing a row group once enough are buffered. */
  write(batch: Batch): void {
    if (batch.rows === 0) return;
    this.#pending.push(batch);
    this.#pendingRows += batch.rows;
    if (this.#pendingRows >= ROW_GROUP_ROWS) this.#writeGroup();
  }

  #writeGroup(): void {
    if (this.#pendingRows === 0) return;
    const batch = concatBatches(this.#pending);
    this.#pending = [];
    this.#pendingRows = 0;
    this.#writer.write({
      columnData: this.#columns.map((c, i) => ({
        name: c.name,
        data: batch.columns[i],
      })),
      rowGroupSize: ROW_GROUP_ROWS,
    });
  }

  /** Writes what is buffered and the footer, then commits the target. */
  commit(): void {
    try {
      this.#writeGroup();
      this.#writer.finish();
    } catch (error) {
      this.#target.abort();
      throw error;
    }
    this.#target.commit();
  }

  /** Drops the file. */
  abort(): void {
    this.#pending = [];
    this.#bytes.index = 0;
    this.#target.abort();
  }
}

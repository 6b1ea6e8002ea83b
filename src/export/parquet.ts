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

/**
 * The order of Parquet's bounds of UTF8 values: their UTF-8 bytes', which is
 * code point order (JavaScript's `<` compares UTF-16 units, which puts
 * U+10000 and above before U+E000 to U+FFFF).
 */
export function utf8Order(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length - b.length;
  const x = a.charCodeAt(i);
  const y = b.charCodeAt(i);
  const surrogate = (c: number) => c >= 0xd800 && c <= 0xdfff;
  // a surrogate (a code point past U+FFFF) sorts after U+E000 to U+FFFF
  if (surrogate(x) !== surrogate(y) && Math.max(x, y) >= 0xe000) {
    return surrogate(x) ? 1 : -1;
  }
  return x - y;
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

  /**
   * Buffers rows, writing a row group before the rows would make it larger
   * than ROW_GROUP_ROWS (a batch larger than that alone is split).
   */
  write(batch: Batch): void {
    if (batch.rows === 0) return;
    if (this.#pendingRows + batch.rows > ROW_GROUP_ROWS) this.#writeGroup();
    this.#pending.push(batch);
    this.#pendingRows += batch.rows;
    if (this.#pendingRows >= ROW_GROUP_ROWS) this.#writeGroup();
  }

  #writeGroup(): void {
    if (this.#pendingRows === 0) return;
    const pending = this.#pending;
    const batch = concatBatches(pending);
    this.#pending = [];
    this.#pendingRows = 0;
    const groups = this.#writer.row_groups.length;
    this.#writer.write({
      columnData: this.#columns.map((c, i) => ({
        name: c.name,
        data: batch.columns[i],
        // exp_id repeats one value per run: its bounds are found below, from
        // the runs' values, rather than from every row's
        ...(c.perRun ? { statistics: false } : {}),
        // floats are seldom repeated (losses, accuracies): PLAIN, without
        // trying a dictionary first (which cost more time than it saved
        // space in bench/export_bench.ts)
        ...(c.type === "double" ? { encoding: "PLAIN" as const } : {}),
      })),
      rowGroupSize: ROW_GROUP_ROWS,
    });
    const at = this.#columns.findIndex((c) => c.perRun);
    if (at < 0) return;
    // the groups written (one, or more for a run larger than a group) each
    // hold rows of the batches in order
    let row = 0;
    for (const group of this.#writer.row_groups.slice(groups)) {
      const rows = Number(group.num_rows);
      const values = batch.columns[at] as readonly string[];
      const ids = new Set<string>();
      let last: string | undefined;
      for (let i = row; i < row + rows; i++) {
        if (values[i] !== last) ids.add(last = values[i]);
      }
      row += rows;
      let min: string | undefined;
      let max: string | undefined;
      for (const id of ids) {
        if (min === undefined || utf8Order(id, min) < 0) min = id;
        if (max === undefined || utf8Order(id, max) > 0) max = id;
      }
      group.columns[at].meta_data!.statistics = {
        min_value: min,
        max_value: max,
        null_count: 0n,
      };
    }
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

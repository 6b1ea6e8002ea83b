/**
 * Arrow IPC output through Arquero's `toArrowIPC` (flechette underneath).
 * A file is the IPC stream format: the schema once, then one record batch
 * per run, then the end-of-stream marker, so runs are written one at a time.
 *
 * @module
 */

import {
  bool,
  type DataType,
  float64,
  int64,
  utf8,
} from "npm:@uwdata/flechette@2.6.0";
import { arquero as aq } from "../data_frame.ts";
import type { Batch, ExportColumn, ExportType } from "./columns.ts";
import type { ByteTarget, Sink, SinkOptions } from "./sink.ts";

const ARROW_TYPES: Record<ExportType, () => DataType> = {
  int64: () => int64(),
  double: () => float64(),
  boolean: () => bool(),
  utf8: () => utf8(),
};

/** The Arrow types of the columns, as `toArrowIPC` takes them. */
export function arrowTypes(
  columns: readonly ExportColumn[],
): Record<string, DataType> {
  const out: Record<string, DataType> = {};
  for (const c of columns) out[c.name] = ARROW_TYPES[c.type]();
  return out;
}

/** A batch as one Arrow IPC stream (schema, one record batch, end of stream). */
export function batchToIpc(
  columns: readonly ExportColumn[],
  batch: Batch,
): Uint8Array {
  const data: Record<string, ArrayLike<unknown>> = {};
  columns.forEach((c, i) => data[c.name] = batch.columns[i]);
  return aq.toArrowIPC(aq.table(data), {
    types: arrowTypes(columns),
    format: "stream",
  });
}

/** Length of the first encapsulated message (the schema) of an IPC stream. */
function schemaMessageLength(ipc: Uint8Array): number {
  const view = new DataView(ipc.buffer, ipc.byteOffset, ipc.byteLength);
  // continuation marker 0xFFFFFFFF, then the metadata length; a schema has no body
  if (view.getUint32(0, true) !== 0xffffffff) {
    throw new Error("Arrow IPC stream without a continuation marker");
  }
  return 8 + view.getInt32(4, true);
}

/** An Arrow IPC stream written run by run. */
export class ArrowSink implements Sink {
  readonly #target: ByteTarget;
  readonly #columns: readonly ExportColumn[];
  #started = false;

  /** Fixes the columns; the schema is written with the first batch. */
  constructor(target: ByteTarget, options: SinkOptions) {
    this.#target = target;
    this.#columns = options.columns;
  }

  /** Appends the rows as one record batch. */
  write(batch: Batch): void {
    if (batch.rows === 0 && this.#started) return;
    const ipc = batchToIpc(this.#columns, batch);
    // every stream ends with the 8-byte end-of-stream marker; later batches drop their schema
    const from = this.#started ? schemaMessageLength(ipc) : 0;
    this.#target.write(ipc.subarray(from, ipc.length - 8));
    this.#started = true;
  }

  /** Ends the stream and commits the target. */
  commit(): void {
    try {
      if (!this.#started) {
        this.write({ rows: 0, columns: this.#columns.map(() => []) });
      }
      this.#target.write(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
    } catch (error) {
      this.#target.abort();
      throw error;
    }
    this.#target.commit();
  }

  /** Drops the file. */
  abort(): void {
    this.#target.abort();
  }
}

/**
 * The sink of each output format.
 *
 * @module
 */

import { ArrowSink } from "./arrow.ts";
import { ParquetSink } from "./parquet.ts";
import type { ByteTarget, ExportFormat, Sink, SinkOptions } from "./sink.ts";
import { CsvSink, JsonlSink } from "./text.ts";

/** A sink writing `format` to `target`. */
export function openSink(
  format: ExportFormat,
  target: ByteTarget,
  options: SinkOptions,
): Sink {
  switch (format) {
    case "parquet":
      return new ParquetSink(target, options);
    case "arrow":
      return new ArrowSink(target, options);
    case "csv":
      return new CsvSink(target, options);
    case "jsonl":
      return new JsonlSink(target, options);
  }
}

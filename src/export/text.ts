/**
 * CSV and JSON Lines output, written run by run. Cells are written as
 * `cox df --format csv|jsonl` writes them.
 *
 * @module
 */

import { csvCell } from "../sweep/csv_cell.ts";
import { jsonValue } from "../sweep/json_value.ts";
import type { Batch, ExportColumn, ExportType } from "./columns.ts";
import type { ByteTarget, Sink, SinkOptions } from "./sink.ts";

const KIND_OF: Record<ExportType, string> = {
  int64: "int",
  double: "float",
  boolean: "bool",
  utf8: "str",
};

const encoder = new TextEncoder();

/** Base of the text sinks: lines gathered per batch, encoded and written. */
abstract class TextSink implements Sink {
  readonly #target: ByteTarget;
  protected readonly columns: readonly ExportColumn[];

  constructor(target: ByteTarget, options: SinkOptions) {
    this.#target = target;
    this.columns = options.columns;
  }

  protected emit(text: string): void {
    if (text !== "") this.#target.write(encoder.encode(text));
  }

  abstract write(batch: Batch): void;

  commit(): void {
    this.#target.commit();
  }

  abort(): void {
    this.#target.abort();
  }
}

/** CSV with a header line; missing cells and NaN empty, floats as Python's `repr`. */
export class CsvSink extends TextSink {
  constructor(target: ByteTarget, options: SinkOptions) {
    super(target, options);
    this.emit(
      this.columns.map((c) => csvCell(c.name, "str")).join(",") + "\n",
    );
  }

  /** Appends the rows as CSV lines. */
  write(batch: Batch): void {
    const kinds = this.columns.map((c) => KIND_OF[c.type]);
    const lines: string[] = new Array(batch.rows);
    for (let r = 0; r < batch.rows; r++) {
      let line = "";
      for (let c = 0; c < kinds.length; c++) {
        if (c > 0) line += ",";
        line += csvCell(batch.columns[c][r], kinds[c]);
      }
      lines[r] = line;
    }
    this.emit(lines.length ? lines.join("\n") + "\n" : "");
  }
}

/**
 * One JSON object per line. NaN and infinities are null, an int beyond 2^53
 * a string (as `cox df --format jsonl`); a JSON-encoded OBJECT/PICKLE column
 * holds its value itself.
 */
export class JsonlSink extends TextSink {
  /** Appends the rows as JSON lines. */
  write(batch: Batch): void {
    const keys = this.columns.map((c) => JSON.stringify(c.name) + ":");
    const raw = this.columns.map((c) => c.encoding === "json");
    const lines: string[] = new Array(batch.rows);
    for (let r = 0; r < batch.rows; r++) {
      let line = "{";
      for (let c = 0; c < keys.length; c++) {
        const v = batch.columns[c][r];
        line += (c > 0 ? "," : "") + keys[c] +
          (raw[c] && typeof v === "string" ? v : JSON.stringify(jsonValue(v)));
      }
      lines[r] = line + "}";
    }
    this.emit(lines.length ? lines.join("\n") + "\n" : "");
  }
}

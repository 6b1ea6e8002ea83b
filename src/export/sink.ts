/**
 * Where an export's rows go: one output file of some format, written batch
 * by batch and committed whole.
 *
 * @module
 */

import type { Batch, ExportColumn } from "./columns.ts";

/** The output formats of an export. */
export type ExportFormat = "parquet" | "arrow" | "csv" | "jsonl";

/** Every output format, in the order the docs list them. */
export const EXPORT_FORMATS: readonly ExportFormat[] = [
  "parquet",
  "arrow",
  "csv",
  "jsonl",
];

/** The file name extension of each format (Arrow: the IPC stream format's `.arrows`). */
export const FORMAT_EXTENSIONS: Readonly<Record<ExportFormat, string>> = {
  parquet: "parquet",
  arrow: "arrows",
  csv: "csv",
  jsonl: "jsonl",
};

/** What a sink is told about the file it writes. */
export interface SinkOptions {
  /** The columns, in order. */
  columns: readonly ExportColumn[];
  /** Key-value metadata of the file (Parquet's footer; ignored by text formats). */
  metadata: Readonly<Record<string, string>>;
}

/** One output file being written. */
export interface Sink {
  /** Appends rows. */
  write(batch: Batch): void;
  /** Finishes the file and puts it in place. */
  commit(): void;
  /** Drops the file: nothing appears under the final name. */
  abort(): void;
}

/** Where a sink's bytes go: a file ({@link AtomicFile}) or memory. */
export interface ByteTarget {
  /** Appends bytes (they may be reused once this returns). */
  write(bytes: Uint8Array): void;
  /** Puts the output in place. */
  commit(): void;
  /** Drops the output. */
  abort(): void;
}

/** Bytes collected in memory, for `toParquet` and `toArrow`. */
export class MemoryTarget implements ByteTarget {
  readonly #chunks: Uint8Array[] = [];

  /** Keeps a copy of the bytes. */
  write(bytes: Uint8Array): void {
    this.#chunks.push(bytes.slice());
  }

  /** Nothing to do: the bytes are in memory. */
  commit(): void {}

  /** Forgets the bytes. */
  abort(): void {
    this.#chunks.length = 0;
  }

  /** Everything written, as one array. */
  bytes(): Uint8Array {
    const total = this.#chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}

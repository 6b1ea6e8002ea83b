/**
 * The journal beside `store.h5`: an append-only file of row batches, framed
 * and checksummed like TFRecord, each batch written and synced before
 * `flush()` returns. `store.h5` is then brought up to date by an atomic
 * replacement (see `docs/store.md`), after which the journal is emptied. A
 * batch that was cut short by a crash fails its CRC or is incomplete, and
 * is ignored: it was never acknowledged.
 *
 * @module
 */

import { dirname } from "../path.ts";
import type { ColumnSlot, RowLayout } from "../h5/frame_table.ts";
import { syncDir } from "./fs_sync.ts";
import { openInsideRun, readInsideRun, runOf } from "./inside_run.ts";
import type { Schema } from "../schema.ts";
import {
  CorruptRecordError,
  RECORD_FOOTER_BYTES,
  RECORD_HEADER_BYTES,
  RecordReader,
  sealRecord,
} from "../tensorboard/record.ts";

/** One batch of rows of one table, as the journal keeps it. */
export interface JournalBatch {
  table: string;
  /** The table's schema (to create it when the batch is applied first). */
  schema: Schema;
  /** Row number of the batch's first row. */
  start: number;
  count: number;
  /** How `bytes` lay out the rows. */
  layout: RowLayout;
  /** The rows, packed as `layout` says. */
  bytes: Uint8Array;
  /** The batch's journal record, sealed, when it was packed in it (`framedBatch`). */
  frame?: Uint8Array;
}

interface BatchHeader {
  v: 1;
  table: string;
  schema: Schema;
  start: number;
  count: number;
  rowSize: number;
  indexOffset: number;
  columns: ColumnSlot[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Frames a batch: a u32 header length, the header as JSON, then the rows. */
export function encodeBatch(batch: JournalBatch): Uint8Array {
  if (batch.frame !== undefined) return batch.frame;
  const header: BatchHeader = {
    v: 1,
    table: batch.table,
    schema: batch.schema,
    start: batch.start,
    count: batch.count,
    rowSize: batch.layout.rowSize,
    indexOffset: batch.layout.indexOffset,
    columns: batch.layout.columns,
  };
  const json = encoder.encode(JSON.stringify(header));
  // the record is built in place: the rows are copied once, into the frame
  const length = 4 + json.length + batch.bytes.length;
  const frame = new Uint8Array(
    RECORD_HEADER_BYTES + length + RECORD_FOOTER_BYTES,
  );
  const view = new DataView(frame.buffer);
  view.setUint32(RECORD_HEADER_BYTES, json.length, true);
  frame.set(json, RECORD_HEADER_BYTES + 4);
  frame.set(batch.bytes, RECORD_HEADER_BYTES + 4 + json.length);
  sealRecord(frame, view, 0, length);
  return frame;
}

/**
 * A batch packed straight into its journal record: `fill` writes the rows
 * into the (zeroed) bytes they take in the record, which is then sealed, so
 * the rows are written once in memory and `bytes` is a view of the record.
 */
export function framedBatch(
  batch: Omit<JournalBatch, "bytes" | "frame">,
  fill: (rows: Uint8Array) => void,
): JournalBatch {
  const header: BatchHeader = {
    v: 1,
    table: batch.table,
    schema: batch.schema,
    start: batch.start,
    count: batch.count,
    rowSize: batch.layout.rowSize,
    indexOffset: batch.layout.indexOffset,
    columns: batch.layout.columns,
  };
  const json = encoder.encode(JSON.stringify(header));
  const rowBytes = batch.count * batch.layout.rowSize;
  const length = 4 + json.length + rowBytes;
  const frame = new Uint8Array(
    RECORD_HEADER_BYTES + length + RECORD_FOOTER_BYTES,
  );
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  view.setUint32(RECORD_HEADER_BYTES, json.length, true);
  frame.set(json, RECORD_HEADER_BYTES + 4);
  const at = RECORD_HEADER_BYTES + 4 + json.length;
  const bytes = frame.subarray(at, at + rowBytes);
  fill(bytes);
  sealRecord(frame, view, 0, length);
  return { ...batch, bytes, frame };
}

function decodeBatch(
  path: string,
  offset: number,
  payload: Uint8Array,
): JournalBatch {
  const fail = (what: string): never => {
    throw new SyntaxError(
      `Cannot read the journal ${path} at byte ${offset}: ${what}`,
    );
  };
  if (payload.length < 4) fail("the batch is shorter than its header");
  const view = new DataView(
    payload.buffer,
    payload.byteOffset,
    payload.byteLength,
  );
  const n = view.getUint32(0, true);
  if (n > payload.length - 4) fail(`its header claims ${n} bytes`);
  let header: BatchHeader;
  try {
    header = JSON.parse(decoder.decode(payload.subarray(4, 4 + n)));
  } catch {
    return fail("its header is not JSON");
  }
  const bytes = payload.subarray(4 + n);
  if (
    header.v !== 1 || typeof header.table !== "string" ||
    !Number.isSafeInteger(header.start) ||
    !Number.isSafeInteger(header.count) || header.count < 0 ||
    !(header.rowSize > 0) ||
    !Array.isArray(header.columns) ||
    bytes.length !== header.count * header.rowSize
  ) {
    fail("its header does not describe its rows");
  }
  return {
    table: header.table,
    schema: header.schema,
    start: header.start,
    count: header.count,
    layout: {
      rowSize: header.rowSize,
      indexOffset: header.indexOffset,
      columns: header.columns,
    },
    bytes,
  };
}

/** What a journal file holds. */
export interface JournalContents {
  batches: JournalBatch[];
  /** Bytes of the complete batches: where the next one goes. */
  end: number;
  /** Why reading stopped before the end of the file, if it did. */
  damage?: string;
}

/** Reads every complete, intact batch of a journal (none when the file is absent). */
export function readJournal(path: string): JournalContents {
  let data: Uint8Array;
  try {
    data = readInsideRun(runOf(path), path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { batches: [], end: 0 };
    throw error;
  }
  const reader = new RecordReader({ file: path });
  reader.push(data);
  const batches: JournalBatch[] = [];
  let end = 0;
  try {
    for (const record of reader.records()) {
      batches.push(decodeBatch(path, record.offset, record.payload));
      end = reader.offset;
    }
  } catch (error) {
    if (
      error instanceof CorruptRecordError || error instanceof SyntaxError ||
      error instanceof RangeError
    ) {
      return { batches, end, damage: (error as Error).message };
    }
    throw error;
  }
  const tail = reader.finish();
  return tail === undefined ? { batches, end } : {
    batches,
    end,
    damage: `an incomplete batch at byte ${tail.offset} (a write cut short)`,
  };
}

/** Appends batches to a journal, each call synced to disk before it returns. */
export class JournalWriter {
  readonly path: string;
  #end: number;
  #dirSynced = false;

  /** `end`: the length of the journal's intact part (later bytes are overwritten). */
  constructor(path: string, end: number) {
    this.path = path;
    this.#end = end;
  }

  /** Bytes of intact batches in the journal. */
  get size(): number {
    return this.#end;
  }

  /**
   * Writes the batches and syncs. On failure (a full disk, a read-only
   * folder) the journal is cut back to what it held and the error names it.
   */
  append(batches: JournalBatch[]): void {
    const frames = batches.map(encodeBatch);
    const total = frames.reduce((n, f) => n + f.length, 0);
    let file: Deno.FsFile | null = null;
    try {
      file = openInsideRun(runOf(this.path), this.path, {
        write: true,
        create: true,
      });
      file.seekSync(this.#end, Deno.SeekMode.Start);
      for (const frame of frames) {
        let written = 0;
        while (written < frame.length) {
          written += file.writeSync(frame.subarray(written));
        }
      }
      file.truncateSync(this.#end + total);
      file.syncDataSync();
      // a journal just made is durable only once its folder's entry is
      if (!this.#dirSynced) {
        syncDir(dirname(this.path));
        this.#dirSynced = true;
      }
      this.#end += total;
    } catch (error) {
      try {
        file?.truncateSync(this.#end);
      } catch {
        // the next append starts at the same offset and overwrites the partial batch
      }
      throw new (error instanceof Error
        ? error.constructor as ErrorConstructor
        : Error)(
        `Cannot write ${
          batches.reduce((n, b) => n + b.count, 0)
        } rows to the journal ${this.path}: ${
          (error as Error).message
        }; they stay pending and will be retried`,
        { cause: error },
      );
    } finally {
      file?.close();
    }
  }

  /** Empties the journal once its batches are safely in `store.h5`. */
  clear(): void {
    const file = openInsideRun(runOf(this.path), this.path, {
      write: true,
      create: true,
    });
    try {
      file.truncateSync(0);
      file.syncDataSync();
    } finally {
      file.close();
    }
    this.#end = 0;
  }
}

/**
 * TFRecord framing: `u64 length | masked crc32c(length) | payload | masked
 * crc32c(payload)`, all little-endian.
 *
 * @module
 */

import { maskedCrc32c } from "./crc32c.ts";

/** Bytes before a record's payload (length and its CRC). */
export const RECORD_HEADER_BYTES = 12;
/** Bytes after a record's payload (its CRC). */
export const RECORD_FOOTER_BYTES = 4;
/** Default largest payload a reader accepts (256 MiB). */
export const DEFAULT_MAX_RECORD_BYTES = 256 * 1024 * 1024;

/**
 * Writes the header and footer of a record whose payload already sits at
 * `bytes[start + 12 : start + 12 + payloadLength]`; the 12 bytes before it
 * and the 4 after it are overwritten.
 *
 * @returns The offset just past the record.
 */
export function sealRecord(
  bytes: Uint8Array,
  view: DataView,
  start: number,
  payloadLength: number,
): number {
  view.setUint32(start, payloadLength, true);
  view.setUint32(start + 4, 0, true);
  view.setUint32(start + 8, maskedCrc32c(bytes, start, start + 8), true);
  const payloadStart = start + RECORD_HEADER_BYTES;
  const end = payloadStart + payloadLength;
  view.setUint32(end, maskedCrc32c(bytes, payloadStart, end), true);
  return end + RECORD_FOOTER_BYTES;
}

/**
 * Frames one payload as a TFRecord.
 *
 * @example
 * ```ts
 * import { encodeRecord } from "./record.ts";
 * const r = encodeRecord(new Uint8Array(0));
 * if (r.length !== 16) throw new Error();
 * ```
 */
export function encodeRecord(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(
    payload.length + RECORD_HEADER_BYTES + RECORD_FOOTER_BYTES,
  );
  out.set(payload, RECORD_HEADER_BYTES);
  sealRecord(out, new DataView(out.buffer), 0, payload.length);
  return out;
}

/** What went wrong in a {@linkcode CorruptRecordError}. */
export type CorruptionKind = "length-crc" | "data-crc";

/** A record whose stored CRC does not match its bytes: the file is corrupt from `offset` on. */
export class CorruptRecordError extends Error {
  /** The file (or source name) being read. */
  readonly file: string;
  /** Byte offset of the start of the bad record. */
  readonly offset: number;
  /** Which CRC failed. */
  readonly kind: CorruptionKind;

  /** Builds the error; the message names the file, offset and both CRCs. */
  constructor(
    file: string,
    offset: number,
    kind: CorruptionKind,
    stored: number,
    computed: number,
  ) {
    const what = kind === "length-crc" ? "length" : "payload";
    super(
      `Cannot read record in ${file} at byte offset ${offset}: ${what} CRC mismatch ` +
        `(stored 0x${hex32(stored)}, computed 0x${
          hex32(computed)
        }); the file is corrupt`,
    );
    this.name = "CorruptRecordError";
    this.file = file;
    this.offset = offset;
    this.kind = kind;
  }
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, "0");
}

/** A complete record handed out by {@linkcode RecordReader}. */
export interface RecordChunk {
  /** Byte offset of the record's header in the stream. */
  offset: number;
  /** The payload; a view that stays valid after later pushes. */
  payload: Uint8Array;
}

/** An incomplete record at the end of the data: not corruption, just not (yet) all written. */
export interface Truncation {
  /** Byte offset of the incomplete record. */
  offset: number;
  /** Bytes of it present. */
  have: number;
  /** Bytes the whole record needs, when its header was complete (else `undefined`). */
  need?: number;
}

/** Options for {@linkcode RecordReader}. */
export interface RecordReaderOptions {
  /** Name used in error messages (default `"<data>"`). */
  file?: string;
  /** Largest payload accepted before allocating (default 256 MiB). */
  maxRecordBytes?: number;
  /** Stream offset of the first byte pushed (default 0), for reading a file from the middle. */
  startOffset?: number;
}

/**
 * Splits a byte stream into TFRecord payloads, checking both CRCs. Feed it
 * chunks with {@linkcode RecordReader.push}, take complete records with
 * {@linkcode RecordReader.records}, and call {@linkcode RecordReader.finish}
 * at the end to learn whether a partial record was left over.
 *
 * @example
 * ```ts
 * import { encodeRecord, RecordReader } from "./record.ts";
 * const rec = encodeRecord(new Uint8Array([1, 2, 3]));
 * const reader = new RecordReader();
 * reader.push(rec.subarray(0, 5));
 * if ([...reader.records()].length !== 0) throw new Error();
 * reader.push(rec.subarray(5));
 * const [r] = reader.records();
 * if (r.payload.join() !== "1,2,3" || reader.finish() !== undefined) throw new Error();
 * ```
 */
export class RecordReader {
  readonly #file: string;
  readonly #max: number;
  #buf: Uint8Array = new Uint8Array(0);
  #view: DataView = new DataView(this.#buf.buffer);
  /** Start of unconsumed bytes in #buf. */
  #start = 0;
  /** End of valid bytes in #buf. */
  #end = 0;
  /** Stream offset of #buf[0]. */
  #base = 0;
  /** Length of the record at #start once its header has been verified. */
  #pending = -1;
  /** Whether #buf was allocated here (so bytes past #end may be written). */
  #owned = false;

  /** Creates a reader; see {@linkcode RecordReaderOptions}. */
  constructor(options: RecordReaderOptions = {}) {
    this.#file = options.file ?? "<data>";
    this.#max = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.#base = options.startOffset ?? 0;
  }

  /** Stream offset of the first byte not yet handed out as part of a record. */
  get offset(): number {
    return this.#base + this.#start;
  }

  /**
   * Appends bytes. The reader may keep `chunk` (records are views into it),
   * so do not modify it afterwards. Records already returned stay valid.
   */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const left = this.#end - this.#start;
    if (left === 0) {
      // Nothing pending: read from the chunk itself, no copy.
      this.#base += this.#end;
      this.#buf = chunk;
      this.#view = new DataView(
        chunk.buffer,
        chunk.byteOffset,
        chunk.byteLength,
      );
      this.#start = 0;
      this.#end = chunk.length;
      this.#owned = false;
      return;
    }
    if (this.#owned && this.#buf.length - this.#end >= chunk.length) {
      // Free room after the valid bytes: returned payloads lie before #start.
      this.#buf.set(chunk, this.#end);
      this.#end += chunk.length;
      return;
    }
    const want = left + chunk.length;
    const record = this.#pending < 0
      ? 0
      : this.#pending + RECORD_HEADER_BYTES + RECORD_FOOTER_BYTES;
    // grow geometrically towards the pending record, never straight to the
    // size its header claims: a short file must not buy a huge buffer
    const next = new Uint8Array(
      record > 0 ? Math.max(want, Math.min(record, want * 2)) : want * 2,
    );
    next.set(this.#buf.subarray(this.#start, this.#end));
    next.set(chunk, left);
    this.#base += this.#start;
    this.#buf = next;
    this.#view = new DataView(next.buffer);
    this.#start = 0;
    this.#end = want;
    this.#owned = true;
  }

  /** Yields every complete record now available; throws {@linkcode CorruptRecordError} on a bad CRC. */
  *records(): Generator<RecordChunk> {
    while (true) {
      const r = this.next();
      if (r === undefined) return;
      yield r;
    }
  }

  /** The next complete record, or `undefined` if more bytes are needed. */
  next(): RecordChunk | undefined {
    const p = this.nextPayload();
    if (p < 0) return undefined;
    return {
      offset: this.recordOffset,
      payload: this.#buf.subarray(p, this.payloadEnd),
    };
  }

  /** The buffer that {@linkcode RecordReader.nextPayload}'s positions index. */
  get buffer(): Uint8Array {
    return this.#buf;
  }

  /** A view of {@linkcode RecordReader.buffer}. */
  get view(): DataView {
    return this.#view;
  }

  /** Stream offset of the record {@linkcode RecordReader.nextPayload} returned last. */
  recordOffset = 0;
  /** End (in {@linkcode RecordReader.buffer}) of the payload {@linkcode RecordReader.nextPayload} returned last. */
  payloadEnd = 0;

  /**
   * Like {@linkcode RecordReader.next} without allocating: the start of the
   * next complete payload in {@linkcode RecordReader.buffer} (its end in
   * `payloadEnd`, its record's stream offset in `recordOffset`), or -1 if
   * more bytes are needed. The buffer may change at the next push.
   */
  nextPayload(): number {
    const buf = this.#buf;
    const view = this.#view;
    const s = this.#start;
    const avail = this.#end - s;
    const offset = this.#base + s;
    if (this.#pending < 0) {
      if (avail < RECORD_HEADER_BYTES) return -1;
      const stored = view.getUint32(s + 8, true);
      const computed = maskedCrc32c(buf, s, s + 8);
      if (stored !== computed) {
        throw new CorruptRecordError(
          this.#file,
          offset,
          "length-crc",
          stored,
          computed,
        );
      }
      const lo = view.getUint32(s, true);
      const hi = view.getUint32(s + 4, true);
      if (hi !== 0 || lo > this.#max) {
        const n = hi === 0 ? `${lo}` : `${(BigInt(hi) << 32n) | BigInt(lo)}`;
        throw new RangeError(
          `Cannot read record in ${this.#file} at byte offset ${offset}: length ${n} exceeds the limit of ${this.#max} bytes`,
        );
      }
      this.#pending = lo;
    }
    const length = this.#pending;
    const total = length + RECORD_HEADER_BYTES + RECORD_FOOTER_BYTES;
    if (avail < total) return -1;
    const p = s + RECORD_HEADER_BYTES;
    const stored = view.getUint32(p + length, true);
    const computed = maskedCrc32c(buf, p, p + length);
    if (stored !== computed) {
      throw new CorruptRecordError(
        this.#file,
        offset,
        "data-crc",
        stored,
        computed,
      );
    }
    this.#start = s + total;
    this.#pending = -1;
    this.recordOffset = offset;
    this.payloadEnd = p + length;
    return p;
  }

  /**
   * Reports the partial record left at the end of the data, if any. Call
   * after the last {@linkcode RecordReader.records}; the reader can still be
   * pushed to afterwards (e.g. when tailing a growing file).
   */
  finish(): Truncation | undefined {
    const have = this.#end - this.#start;
    if (have === 0) return undefined;
    const t: Truncation = { offset: this.offset, have };
    if (this.#pending >= 0) {
      t.need = this.#pending + RECORD_HEADER_BYTES + RECORD_FOOTER_BYTES;
    }
    return t;
  }
}

/**
 * The undo log beside `store.h5` (`store.h5.undo`): before an in-place update
 * overwrites any byte `store.h5` already held, the old bytes are saved here,
 * with their offsets, the file's old length and a checksum, and synced. A
 * valid undo log means an update may be half-done: putting its bytes back
 * and cutting the file to its old length gives the last consistent file.
 * An empty, cut-short or damaged log is no log (it was never complete, so
 * `store.h5` was not touched yet).
 *
 * Layout: magic `COXUNDO1`, u64 old length, u32 record count, records
 * (u64 offset, u32 length, u8 1 when the old bytes were all zero, else 0 and
 * the bytes), then the CRC32C of all that (u32). Little-endian.
 *
 * @module
 */

import { crc32c } from "../tensorboard/crc32c.ts";

const MAGIC = new TextEncoder().encode("COXUNDO1");
const HEADER = 8 + 8 + 4;
const RECORD_HEADER = 8 + 4 + 1;

/** Old bytes of `store.h5` at an offset (null: they were zeros). */
export interface UndoRecord {
  offset: number;
  length: number;
  bytes: Uint8Array | null;
}

/** A valid undo log: what `store.h5` was before an update. */
export interface UndoLog {
  /** The file's length before the update. */
  size: number;
  records: UndoRecord[];
}

function allZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** Saves old bytes as records (runs of zeros take no room). */
export function undoRecord(offset: number, old: Uint8Array): UndoRecord {
  return {
    offset,
    length: old.length,
    bytes: allZero(old) ? null : old,
  };
}

/** The bytes of an undo log. */
export function encodeUndo(log: UndoLog): Uint8Array {
  let n = HEADER + 4;
  for (const r of log.records) n += RECORD_HEADER + (r.bytes?.length ?? 0);
  const out = new Uint8Array(n);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setBigUint64(8, BigInt(log.size), true);
  view.setUint32(16, log.records.length, true);
  let o = HEADER;
  for (const r of log.records) {
    view.setBigUint64(o, BigInt(r.offset), true);
    view.setUint32(o + 8, r.length, true);
    out[o + 12] = r.bytes === null ? 1 : 0;
    o += RECORD_HEADER;
    if (r.bytes !== null) {
      out.set(r.bytes, o);
      o += r.bytes.length;
    }
  }
  view.setUint32(o, crc32c(out, 0, o), true);
  return out;
}

/** Parses an undo log; null when it is empty, incomplete or damaged. */
export function decodeUndo(data: Uint8Array): UndoLog | null {
  if (data.length < HEADER + 4) return null;
  for (let i = 0; i < MAGIC.length; i++) if (data[i] !== MAGIC[i]) return null;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const size = Number(view.getBigUint64(8, true));
  const count = view.getUint32(16, true);
  const records: UndoRecord[] = [];
  let o = HEADER;
  for (let i = 0; i < count; i++) {
    if (o + RECORD_HEADER > data.length) return null;
    const offset = Number(view.getBigUint64(o, true));
    const length = view.getUint32(o + 8, true);
    const zero = data[o + 12] === 1;
    o += RECORD_HEADER;
    if (!zero && o + length > data.length) return null;
    records.push({
      offset,
      length,
      bytes: zero ? null : data.subarray(o, o + length),
    });
    if (!zero) o += length;
  }
  if (o + 4 !== data.length) return null;
  if (view.getUint32(o, true) !== crc32c(data, 0, o)) return null;
  return { size, records };
}

/** Reads the undo log at `path`: null when absent or not valid. */
export function readUndo(path: string): UndoLog | null {
  let data: Uint8Array;
  try {
    data = Deno.readFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  return decodeUndo(data);
}

/** Copies into `bytes` (read at `position`) what the log says was there. */
export function patchFromUndo(
  log: UndoLog,
  position: number,
  bytes: Uint8Array,
): void {
  const end = position + bytes.length;
  for (const r of log.records) {
    const from = Math.max(position, r.offset);
    const to = Math.min(end, r.offset + r.length);
    if (from >= to) continue;
    if (r.bytes === null) bytes.fill(0, from - position, to - position);
    else {
      bytes.set(
        r.bytes.subarray(from - r.offset, to - r.offset),
        from - position,
      );
    }
  }
}

/**
 * A fast path for the events that make up almost all of an event file: a
 * wall time, a step and a summary of `{tag, simple_value}` values (or a
 * file version). It decodes them straight into the records
 * {@linkcode readEvents} returns, with tag strings decoded once per file and
 * reused; anything else (other fields, repeated or out-of-order fields,
 * wire types that differ) makes it give up, so that the general decoder
 * reads the record with its full semantics.
 *
 * @module
 */

import type { EventRecord, ValueRecord } from "./read_events.ts";

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
/** Tags kept per file; a sweep's runs log a few dozen at most. */
const MAX_TAGS = 4096;

/** Decoded tag strings, looked up by their bytes (one cache per file read). */
export class TagCache {
  /** By a hash of the bytes: entries of [bytes, string] (collisions share a list). */
  readonly #byHash = new Map<number, [Uint8Array, string][]>();
  #size = 0;

  /** The string of `buf[start:end]` (UTF-8), or undefined when it is not valid UTF-8. */
  get(buf: Uint8Array, start: number, end: number): string | undefined {
    const n = end - start;
    let h = n;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
    const list = this.#byHash.get(h);
    if (list !== undefined) {
      for (const [b, s] of list) {
        if (b.length !== n) continue;
        let j = 0;
        while (j < n && b[j] === buf[start + j]) j++;
        if (j === n) return s;
      }
    }
    let s: string;
    try {
      s = strict.decode(buf.subarray(start, end));
    } catch {
      return undefined;
    }
    if (this.#size < MAX_TAGS) {
      this.#size++;
      const entry: [Uint8Array, string] = [buf.slice(start, end), s];
      if (list === undefined) this.#byHash.set(h, [entry]);
      else list.push(entry);
    }
    return s;
  }
}

/**
 * Decodes `p[start:end]` as an Event of the simple kind, or returns
 * undefined when it is not one (the caller then uses the general decoder).
 * `view` views all of `p`.
 */
export function decodeSimpleEvent(
  p: Uint8Array,
  view: DataView,
  start: number,
  end: number,
  file: string,
  offset: number,
  tags: TagCache,
): EventRecord | undefined {
  let i = start;
  let wallTime = 0;
  let step = 0;
  let seen = 0;
  let summary: ValueRecord[] | undefined;
  let fileVersion: string | undefined;
  while (i < end) {
    const key = p[i++];
    if (key === 0x09) { // 1: wall_time, double
      if (seen & 1 || i + 8 > end) return undefined;
      seen |= 1;
      wallTime = view.getFloat64(i, true);
      i += 8;
    } else if (key === 0x10) { // 2: step, varint
      if (seen & 2) return undefined;
      seen |= 2;
      let v = 0;
      let mul = 1;
      for (let k = 0;; k++) {
        if (i >= end || k === 7) return undefined; // > 49 bits: general path
        const b = p[i++];
        v += (b & 0x7f) * mul;
        mul *= 128;
        if (b < 0x80) break;
      }
      step = v;
    } else if (key === 0x1a || key === 0x2a) { // 3: file_version, 5: summary
      if (seen & 4) return undefined; // both in one oneof
      seen |= 4;
      let len = 0;
      let mul = 1;
      for (let k = 0;; k++) {
        if (i >= end || k === 4) return undefined;
        const b = p[i++];
        len += (b & 0x7f) * mul;
        mul *= 128;
        if (b < 0x80) break;
      }
      const stop = i + len;
      if (stop > end) return undefined;
      if (key === 0x1a) {
        try {
          fileVersion = strict.decode(p.subarray(i, stop));
        } catch {
          return undefined;
        }
      } else {
        summary = decodeSimpleSummary(p, view, i, stop, tags);
        if (summary === undefined) return undefined;
      }
      i = stop;
    } else return undefined;
  }
  // one object literal per shape: no hidden-class transitions per record
  if (summary !== undefined) return { file, offset, wallTime, step, summary };
  if (fileVersion !== undefined) {
    return { file, offset, wallTime, step, fileVersion };
  }
  return { file, offset, wallTime, step };
}

function decodeSimpleSummary(
  p: Uint8Array,
  view: DataView,
  start: number,
  end: number,
  tags: TagCache,
): ValueRecord[] | undefined {
  const out: ValueRecord[] = [];
  let i = start;
  while (i < end) {
    if (p[i++] !== 0x0a) return undefined; // 1: value
    const len = p[i++];
    if (len >= 0x80) return undefined;
    const stop = i + len;
    if (stop > end) return undefined;
    // exactly: tag (1, len < 128), then simple_value (2, float)
    if (p[i] !== 0x0a) return undefined;
    const tagLen = p[i + 1];
    const tagStart = i + 2;
    const tagEnd = tagStart + tagLen;
    if (tagLen >= 0x80 || tagEnd + 5 !== stop || p[tagEnd] !== 0x15) {
      return undefined;
    }
    const tag = tags.get(p, tagStart, tagEnd);
    if (tag === undefined || tag === "") return undefined;
    out.push({ tag, simpleValue: view.getFloat32(tagEnd + 1, true) });
    i = stop;
  }
  return out;
}

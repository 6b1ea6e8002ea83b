/**
 * The scalars of a TensorBoard event file, read from a byte offset straight
 * into growable columns: what the dashboard keeps of event files. Records
 * are framed and CRC-checked by the {@linkcode RecordReader} `readEvents`
 * uses; an event of the usual kind (a wall time, a step and a summary of
 * `{tag, simple_value}` values) is decoded in place, with no object made
 * per event (a 1,000-run sweep has a million of them); any other event goes
 * through the general decoder, and only its `simple_value`s are kept, as
 * `readEvents` gives them (a value's tag, or its `node_name` when the tag is
 * empty).
 *
 * @module
 */

import { decodeEvent } from "../tensorboard/messages.ts";
import { RecordReader } from "../tensorboard/record.ts";
import { TagCache } from "../tensorboard/scalar_event.ts";
import { Growable, type SeriesColumns } from "./series.ts";

/** The bytes read at a time. */
const CHUNK = 1 << 20;

/** Where the scalars of a file go: the columns of a tag (made on first use). */
export type ScalarSink = (tag: string) => SeriesColumns;

/** A tag's empty columns: values, with `step` and `wall` x columns. */
export function newScalarColumns(capacity = 16): SeriesColumns {
  return {
    y: new Growable(capacity),
    x: { step: new Growable(capacity), wall: new Growable(capacity) },
  };
}

/** What {@linkcode readScalars} read. */
export interface ScalarsRead {
  /** Byte offset after the last complete record (the next read starts there). */
  end: number;
  /** Scalar values appended. */
  values: number;
  /** The least wall time of the values appended (Infinity for none). */
  firstWall: number;
}

/** Decoded tags and values of the event being read (reused, so nothing is made per event). */
const scratchTags: string[] = [];
let scratchValues = new Float64Array(64);

/**
 * The values of one read, in file order, before they go to their tags' columns
 * (one copy per tag at the end, rather than three growable pushes a value).
 */
class ReadValues {
  tag = new Int32Array(1024);
  step = new Float64Array(1024);
  wall = new Float64Array(1024);
  y = new Float64Array(1024);
  n = 0;

  add(tag: number, step: number, wall: number, y: number): void {
    if (this.n === this.y.length) this.#grow();
    const i = this.n++;
    this.tag[i] = tag;
    this.step[i] = step;
    this.wall[i] = wall;
    this.y[i] = y;
  }

  #grow(): void {
    const n = this.y.length * 2;
    const tag = new Int32Array(n);
    tag.set(this.tag);
    this.tag = tag;
    for (const k of ["step", "wall", "y"] as const) {
      const a = new Float64Array(n);
      a.set(this[k]);
      this[k] = a;
    }
  }
}

/** Reused by every read (reads are synchronous). */
const readValues = new ReadValues();
/** Files up to this size are read into one reused buffer. */
const WHOLE_READ = 8 << 20;
let whole = new Uint8Array(64 * 1024);

function readFully(f: Deno.FsFile, buf: Uint8Array): number {
  let at = 0;
  while (at < buf.length) {
    const n = f.readSync(buf.subarray(at));
    if (n === null) break;
    at += n;
  }
  return at;
}

/**
 * Appends the scalars of event file `path` from byte offset `offset` on to
 * the columns `sink` gives for their tags. A half-written last record is
 * left for the next read (`end` stops before it).
 *
 * @throws {CorruptRecordError} on a CRC mismatch, a SyntaxError for a
 * record that is not an Event, a RangeError for a record length above 256 MiB
 * (all naming the file and byte offset).
 */
export function readScalars(
  path: string,
  offset: number,
  sink: ScalarSink,
): ScalarsRead {
  const reader = new RecordReader({ file: path, startOffset: offset });
  const tags = new TagCache();
  const tagIndex = new Map<string, number>();
  const tagNames: string[] = [];
  const out = readValues;
  out.n = 0;
  using f = Deno.openSync(path, { read: true });
  if (offset > 0) f.seekSync(offset, Deno.SeekMode.Start);
  const left = f.statSync().size - offset;
  const decode = () => {
    for (;;) {
      const start = reader.nextPayload();
      if (start < 0) return;
      const buf = reader.buffer;
      const end = reader.payloadEnd;
      let count = decodeSimple(buf, reader.view, start, end, tags);
      let wall = decodedWall;
      let step = decodedStep;
      if (count < 0) {
        // not of the usual kind: the general decoder, then its scalars
        let e;
        try {
          e = decodeEvent(buf.subarray(start, end));
        } catch (err) {
          throw new SyntaxError(
            `Cannot decode event in ${path} at byte offset ${reader.recordOffset}: ${
              err instanceof Error ? err.message : err
            }`,
            { cause: err },
          );
        }
        count = 0;
        wall = e.wallTime;
        step = Number(e.step);
        for (const v of e.summary?.value ?? []) {
          if (v.simpleValue === undefined) continue;
          scratch(count);
          scratchTags[count] = v.tag || (v.nodeName ?? "");
          scratchValues[count++] = v.simpleValue;
        }
      }
      for (let k = 0; k < count; k++) {
        const tag = scratchTags[k];
        let t = tagIndex.get(tag);
        if (t === undefined) {
          t = tagNames.length;
          tagIndex.set(tag, t);
          tagNames.push(tag);
        }
        out.add(t, step, wall, scratchValues[k]);
      }
    }
  };
  if (left < WHOLE_READ) {
    // the usual event file: one read into a buffer kept for the next file
    // (the reader holds it only until this call returns)
    if (whole.length < left + 1) {
      whole = new Uint8Array(Math.max(left + 1, 2 * whole.length));
    }
    const n = readFully(f, whole.subarray(0, left + 1));
    if (n > 0) {
      reader.push(whole.subarray(0, n));
      decode();
    }
    // a record written after the size was taken is read next time
  } else {
    for (;;) {
      const chunk = new Uint8Array(CHUNK);
      const n = f.readSync(chunk);
      if (n === null) break;
      if (n === 0) continue;
      reader.push(n === CHUNK ? chunk : chunk.slice(0, n));
      decode();
    }
  }
  return { end: reader.offset, ...flush(out, tagNames, sink) };
}

/** Appends the values read to their tags' columns. */
function flush(
  out: ReadValues,
  tagNames: string[],
  sink: ScalarSink,
): { values: number; firstWall: number } {
  const n = out.n;
  let firstWall = Infinity;
  for (let i = 0; i < n; i++) {
    if (out.wall[i] < firstWall) firstWall = out.wall[i];
  }
  if (tagNames.length === 1) {
    const s = sink(tagNames[0]);
    s.y.append(out.y.subarray(0, n));
    s.x.step.append(out.step.subarray(0, n));
    s.x.wall.append(out.wall.subarray(0, n));
  } else {
    for (let t = 0; t < tagNames.length; t++) {
      let count = 0;
      for (let i = 0; i < n; i++) if (out.tag[i] === t) count++;
      const y = new Float64Array(count);
      const step = new Float64Array(count);
      const wall = new Float64Array(count);
      for (let i = 0, j = 0; i < n; i++) {
        if (out.tag[i] !== t) continue;
        y[j] = out.y[i];
        step[j] = out.step[i];
        wall[j++] = out.wall[i];
      }
      const s = sink(tagNames[t]);
      s.y.append(y);
      s.x.step.append(step);
      s.x.wall.append(wall);
    }
  }
  return { values: n, firstWall };
}

function scratch(k: number): void {
  if (k < scratchValues.length) return;
  const grown = new Float64Array(scratchValues.length * 2);
  grown.set(scratchValues);
  scratchValues = grown;
}

/** The wall time and step of the event {@linkcode decodeSimple} read last. */
let decodedWall = 0;
let decodedStep = 0;

/**
 * Decodes `p[start:end]` as an Event of the usual kind into the scratch
 * tags and values (its wall time and step in `decodedWall`/`decodedStep`)
 * and returns how many values it has, or -1 when it is of another kind
 * (other fields, fields repeated or out of order, a step above 2^49, a tag
 * that is not UTF-8 or empty): the general decoder reads those.
 */
function decodeSimple(
  p: Uint8Array,
  view: DataView,
  start: number,
  end: number,
  tags: TagCache,
): number {
  let i = start;
  let wall = 0;
  let step = 0;
  let seen = 0;
  let count = 0;
  while (i < end) {
    const key = p[i++];
    if (key === 0x09) { // 1: wall_time, double
      if (seen & 1 || i + 8 > end) return -1;
      seen |= 1;
      wall = view.getFloat64(i, true);
      i += 8;
    } else if (key === 0x10) { // 2: step, varint
      if (seen & 2) return -1;
      seen |= 2;
      let v = 0;
      let mul = 1;
      for (let k = 0;; k++) {
        if (i >= end || k === 7) return -1;
        const b = p[i++];
        v += (b & 0x7f) * mul;
        mul *= 128;
        if (b < 0x80) break;
      }
      step = v;
    } else if (key === 0x1a || key === 0x2a) { // 3: file_version, 5: summary
      if (seen & 4) return -1;
      seen |= 4;
      let len = 0;
      let mul = 1;
      for (let k = 0;; k++) {
        if (i >= end || k === 4) return -1;
        const b = p[i++];
        len += (b & 0x7f) * mul;
        mul *= 128;
        if (b < 0x80) break;
      }
      const stop = i + len;
      if (stop > end) return -1;
      if (key === 0x2a) {
        // values: exactly a tag (1, shorter than 128 bytes), then simple_value (2, float)
        let j = i;
        while (j < stop) {
          if (p[j++] !== 0x0a) return -1;
          const vlen = p[j++];
          if (vlen >= 0x80) return -1;
          const vend = j + vlen;
          if (vend > stop || p[j] !== 0x0a) return -1;
          const tagLen = p[j + 1];
          const tagStart = j + 2;
          const tagEnd = tagStart + tagLen;
          if (tagLen >= 0x80 || tagEnd + 5 !== vend || p[tagEnd] !== 0x15) {
            return -1;
          }
          const tag = tags.get(p, tagStart, tagEnd);
          if (tag === undefined || tag === "") return -1;
          scratch(count);
          scratchTags[count] = tag;
          scratchValues[count++] = view.getFloat32(tagEnd + 1, true);
          j = vend;
        }
      } // a file_version carries no scalar
      i = stop;
    } else return -1;
  }
  decodedWall = wall;
  decodedStep = step;
  return count;
}

/**
 * Reading TensorBoard event files into plain objects.
 *
 * @module
 */

import { join, relative } from "../path.ts";
import {
  decodeEvent,
  decodeHParamsPluginData,
  type Event,
  type HistogramProto,
  type HParamsPluginData,
  type Int64,
  type LogMessage,
  type SessionLog,
  type SourceMetadata,
  type SummaryAudio,
  type SummaryValue,
  type TaggedRunMetadata,
  type TensorProto,
} from "./messages.ts";
import { RecordReader, type Truncation } from "./record.ts";
import { decodeSimpleEvent, TagCache } from "./scalar_event.ts";

/** An image summary's picture. */
export interface ImageRecord {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** 1 grayscale, 2 grayscale+alpha, 3 RGB, 4 RGBA. */
  colorspace: number;
  /** The encoded image (PNG for tensorboardX and SummaryWriter). */
  encoded: Uint8Array;
}

/** A summary value's metadata, flattened. */
export interface MetadataRecord {
  /** `plugin_data.plugin_name` (`""` when absent). */
  pluginName: string;
  /** `plugin_data.content` (empty when absent). */
  content: Uint8Array;
  /** The name to show instead of the tag (`""` when absent). */
  displayName: string;
  /** A description (`""` when absent). */
  description: string;
  /** A `DataClass` code (0 when absent). */
  dataClass: number;
}

/** One `Summary.Value`; at most one of simpleValue, histogram, image, audio, tensor is set. */
export interface ValueRecord {
  /** The tag (the deprecated `node_name` when the tag is empty). */
  tag: string;
  /** A float32 scalar. */
  simpleValue?: number;
  /** A histogram. */
  histogram?: HistogramProto;
  /** An image. */
  image?: ImageRecord;
  /** An audio clip. */
  audio?: SummaryAudio;
  /** A tensor. */
  tensor?: TensorProto;
  /** For plugin `text` with a one-element DT_STRING tensor: that string. */
  text?: string;
  /** For plugin `hparams`: the decoded plugin content. */
  hparams?: HParamsPluginData;
  /** The value's metadata: plugin, display name, description. */
  metadata?: MetadataRecord;
}

/** One event, with where it was found. */
export interface EventRecord {
  /** The file it was read from. */
  file: string;
  /** Byte offset of its record in the file. */
  offset: number;
  /** Seconds since the epoch. */
  wallTime: number;
  /** Global step: a number when safe, else a bigint. */
  step: Int64;
  /** The file format version (`brain.Event:2` in a file's first event). */
  fileVersion?: string;
  /** The event's summary values, when it carries a summary. */
  summary?: ValueRecord[];
  /** A session status change. */
  sessionLog?: SessionLog;
  /** A log message (deprecated). */
  logMessage?: LogMessage;
  /** Run metadata under a tag. */
  taggedRunMetadata?: TaggedRunMetadata;
  /** A serialized GraphDef. */
  graphDef?: Uint8Array;
  /** A serialized MetaGraphDef. */
  metaGraphDef?: Uint8Array;
  /** Who wrote the file. */
  sourceMetadata?: SourceMetadata;
}

/** What was read from one event file. */
export interface EventFileInfo {
  /** The file's path. */
  file: string;
  /** Its folder relative to the folder given to {@linkcode readEvents} (`"."` for that folder itself). */
  run: string;
  /** Number of complete events read. */
  events: number;
  /** Bytes read (from `start` on). */
  bytes: number;
  /** Byte offset reading started at (0, or what `startOffsets` gave for this file). */
  start: number;
  /**
   * Byte offset just past the last complete record read: pass it as this
   * file's start offset next time to read only what was added since.
   */
  end: number;
  /** Set when the file ends in an incomplete record (e.g. still being written, or the writer was killed). */
  truncated?: Truncation;
}

/** The result of {@linkcode readEvents}. */
export interface ReadEventsResult {
  /** Every complete event, file by file, in file order. */
  events: EventRecord[];
  /** One entry per file read, in reading order. */
  files: EventFileInfo[];
  /** The entries of `files` whose last record is incomplete. */
  truncated: EventFileInfo[];
}

/** Options for {@linkcode readEvents}. */
export interface ReadEventsOptions {
  /**
   * Also read event files in sub-folders (default false). TensorBoard shows
   * each folder as its own run, so by default only the given folder is read.
   */
  recursive?: boolean;
  /** Largest record accepted, checked before allocating (default 256 MiB). */
  maxRecordBytes?: number;
  /**
   * Where to start reading each file, by path (as listed in `files[].file`);
   * files not named start at 0. With the `end` of each file of an earlier
   * call, only the records written since are read (a file that grows while a
   * writer runs). An offset must be the start of a record (an `end` given
   * before); an offset past the end of the file reads nothing.
   */
  startOffsets?: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
}

const decoder = new TextDecoder("utf-8", { fatal: false });
const CHUNK = 1024 * 1024;

/** Whether a file name marks a TensorBoard event file (contains `tfevents`, not a `.profile-empty` marker). */
export function isEventFileName(name: string): boolean {
  return name.includes("tfevents") && !name.endsWith(".profile-empty");
}

function listEventFiles(dir: string, recursive: boolean, out: string[]): void {
  const entries = [...Deno.readDirSync(dir)].sort((
    a,
    b,
  ) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = join(dir, e.name);
    let isFile = e.isFile;
    if (e.isSymlink) {
      try {
        isFile = Deno.statSync(path).isFile;
      } catch {
        continue; // dangling link
      }
    }
    if (isFile && isEventFileName(e.name)) out.push(path);
  }
  if (recursive) {
    for (const e of entries) {
      const path = join(dir, e.name);
      let isDir = e.isDirectory;
      if (e.isSymlink) {
        try {
          isDir = Deno.statSync(path).isDirectory;
        } catch {
          isDir = false;
        }
      }
      if (isDir) listEventFiles(path, true, out);
    }
  }
}

function toValueRecord(v: SummaryValue): ValueRecord {
  const r: ValueRecord = { tag: v.tag || (v.nodeName ?? "") };
  if (v.simpleValue !== undefined) r.simpleValue = v.simpleValue;
  if (v.histo !== undefined) r.histogram = v.histo;
  if (v.image !== undefined) {
    const im = v.image;
    r.image = {
      width: im.width,
      height: im.height,
      colorspace: im.colorspace,
      encoded: im.encodedImageString,
    };
  }
  if (v.audio !== undefined) r.audio = v.audio;
  if (v.tensor !== undefined) r.tensor = v.tensor;
  if (v.metadata !== undefined) {
    const m = v.metadata;
    r.metadata = {
      pluginName: m.pluginData?.pluginName ?? "",
      content: m.pluginData?.content ?? new Uint8Array(0),
      displayName: m.displayName ?? "",
      description: m.summaryDescription ?? "",
      dataClass: m.dataClass ?? 0,
    };
    const t = v.tensor;
    if (
      r.metadata.pluginName === "text" && t?.dtype === 7 &&
      t.stringVal?.length === 1
    ) {
      r.text = decoder.decode(t.stringVal[0]);
    }
    if (r.metadata.pluginName === "hparams") {
      r.hparams = decodeHParamsPluginData(r.metadata.content);
    }
  }
  return r;
}

function toEventRecord(e: Event, file: string, offset: number): EventRecord {
  const r: EventRecord = { file, offset, wallTime: e.wallTime, step: e.step };
  if (e.fileVersion !== undefined) r.fileVersion = e.fileVersion;
  if (e.summary !== undefined) r.summary = e.summary.value.map(toValueRecord);
  if (e.sessionLog !== undefined) r.sessionLog = e.sessionLog;
  if (e.logMessage !== undefined) r.logMessage = e.logMessage;
  if (e.taggedRunMetadata !== undefined) {
    r.taggedRunMetadata = e.taggedRunMetadata;
  }
  if (e.graphDef !== undefined) r.graphDef = e.graphDef;
  if (e.metaGraphDef !== undefined) r.metaGraphDef = e.metaGraphDef;
  if (e.sourceMetadata !== undefined) r.sourceMetadata = e.sourceMetadata;
  return r;
}

/**
 * Decodes the events in `data` (the bytes of one event file named `file`).
 * A truncated last record is reported in the result, not thrown.
 *
 * @throws {CorruptRecordError} on a CRC mismatch (naming the byte offset).
 * @throws {RangeError} on a record length above `maxRecordBytes`.
 * @throws {SyntaxError} when a record with a good CRC is not a valid Event.
 */
export function decodeEventFile(
  data: Uint8Array,
  file = "<data>",
  options: Pick<ReadEventsOptions, "maxRecordBytes"> = {},
): { events: EventRecord[]; truncated?: Truncation } {
  const reader = new RecordReader({
    file,
    maxRecordBytes: options.maxRecordBytes,
  });
  reader.push(data);
  const events: EventRecord[] = [];
  collect(reader, file, events);
  const truncated = reader.finish();
  return truncated === undefined ? { events } : { events, truncated };
}

function collect(
  reader: RecordReader,
  file: string,
  out: EventRecord[],
  tags: TagCache = new TagCache(),
): void {
  for (;;) {
    const start = reader.nextPayload();
    if (start < 0) return;
    const buf = reader.buffer;
    const end = reader.payloadEnd;
    const offset = reader.recordOffset;
    // most records are scalars: decoded straight into their record
    const simple = decodeSimpleEvent(
      buf,
      reader.view,
      start,
      end,
      file,
      offset,
      tags,
    );
    if (simple !== undefined) {
      out.push(simple);
      continue;
    }
    const payload = buf.subarray(start, end);
    let e: Event;
    try {
      e = decodeEvent(payload);
    } catch (err) {
      throw new SyntaxError(
        `Cannot decode event in ${file} at byte offset ${offset}: ${
          err instanceof Error ? err.message : err
        }`,
        { cause: err },
      );
    }
    out.push(toEventRecord(e, file, offset));
  }
}

function startOffsetOf(options: ReadEventsOptions, path: string): number {
  const given = options.startOffsets;
  if (given === undefined) return 0;
  const at = given instanceof Map
    ? given.get(path)
    : (given as Readonly<Record<string, number>>)[path];
  if (at === undefined) return 0;
  if (!Number.isSafeInteger(at) || at < 0) {
    throw new RangeError(
      `Cannot read ${path} from byte offset ${at}: expected a whole number of bytes, at least 0`,
    );
  }
  return at;
}

function readFile(
  path: string,
  run: string,
  options: ReadEventsOptions,
  out: EventRecord[],
): EventFileInfo {
  const start = startOffsetOf(options, path);
  const reader = new RecordReader({
    file: path,
    maxRecordBytes: options.maxRecordBytes,
    startOffset: start,
  });
  const tags = new TagCache();
  const first = out.length;
  let bytes = 0;
  using f = Deno.openSync(path, { read: true });
  if (start > 0) f.seekSync(start, Deno.SeekMode.Start);
  // a small tail (an incremental read) needs no megabyte buffer
  const left = f.statSync().size - start;
  const size = Math.max(4096, Math.min(CHUNK, left + 1));
  for (;;) {
    const chunk = new Uint8Array(size);
    const n = f.readSync(chunk);
    if (n === null) break;
    if (n === 0) continue;
    bytes += n;
    reader.push(n === size ? chunk : chunk.slice(0, n));
    collect(reader, path, out, tags);
  }
  const info: EventFileInfo = {
    file: path,
    run,
    events: out.length - first,
    bytes,
    start,
    end: reader.offset,
  };
  const truncated = reader.finish();
  if (truncated !== undefined) info.truncated = truncated;
  return info;
}

/**
 * Reads every event of an event file, or of every event file in a folder
 * (regular files whose name contains `tfevents`, in lexicographic order, as
 * TensorBoard does; sub-folders only with `recursive`).
 *
 * A file that ends in an incomplete record (still being written, or its
 * writer was killed) yields its complete records and is listed in
 * `truncated`. A CRC mismatch throws a {@linkcode CorruptRecordError} naming
 * the file and byte offset; a record length above `maxRecordBytes` throws a
 * RangeError before anything is allocated for it.
 *
 * @example
 * ```ts
 * import { readEvents } from "./read_events.ts";
 * import { encodeRecord } from "./record.ts";
 * import { encodeEvent } from "./messages.ts";
 * const dir = Deno.makeTempDirSync();
 * const record = encodeRecord(encodeEvent({ wallTime: 1.5, step: 0, fileVersion: "brain.Event:2" }));
 * Deno.writeFileSync(`${dir}/x.tfevents.1`, record.subarray(0, record.length - 1));
 * const { events, truncated } = readEvents(dir);
 * if (events.length !== 0 || truncated[0].truncated?.have !== record.length - 1) throw new Error();
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export function readEvents(
  pathOrDir: string,
  options: ReadEventsOptions = {},
): ReadEventsResult {
  const st = Deno.statSync(pathOrDir);
  const paths: string[] = [];
  if (st.isDirectory) {
    listEventFiles(pathOrDir, options.recursive ?? false, paths);
  } else paths.push(pathOrDir);
  const events: EventRecord[] = [];
  const files: EventFileInfo[] = [];
  for (const p of paths) {
    const run = st.isDirectory
      ? relative(pathOrDir, join(p, "..")) || "."
      : ".";
    files.push(readFile(p, run, options, events));
  }
  return {
    events,
    files,
    truncated: files.filter((f) => f.truncated !== undefined),
  };
}

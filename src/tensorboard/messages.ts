/**
 * The protobuf messages of TensorBoard event files, as plain objects, with
 * encoders and decoders: Event, Summary, HistogramProto, TensorProto,
 * SummaryMetadata and the HParams plugin messages (with
 * google.protobuf.Value/ListValue/Struct as JSON-like values).
 *
 * Encoders write fields in field-number order and omit proto3 defaults,
 * except oneof members and sub-messages that are present. Decoders accept any
 * field order, skip unknown fields, accept packed and unpacked repeated
 * scalars, let the last occurrence of a scalar win and merge repeated
 * occurrences of a sub-message.
 *
 * @module
 */

import { ProtoReader, ProtoWriter, WireType } from "./wire.ts";

const { Varint, I64, Len, I32 } = WireType;

/** An int64 value: a number when it is a safe integer, otherwise a bigint. */
export type Int64 = number | bigint;

/** TensorFlow `DataType` codes used in event files. */
export const DataType = {
  DT_INVALID: 0,
  DT_FLOAT: 1,
  DT_DOUBLE: 2,
  DT_INT32: 3,
  DT_UINT8: 4,
  DT_INT16: 5,
  DT_INT8: 6,
  DT_STRING: 7,
  DT_COMPLEX64: 8,
  DT_INT64: 9,
  DT_BOOL: 10,
  DT_UINT16: 17,
  DT_COMPLEX128: 18,
  DT_HALF: 19,
  DT_UINT32: 22,
  DT_UINT64: 23,
} as const;

/** `SummaryMetadata.DataClass`. */
export const DataClass = {
  DATA_CLASS_UNKNOWN: 0,
  DATA_CLASS_SCALAR: 1,
  DATA_CLASS_TENSOR: 2,
  DATA_CLASS_BLOB_SEQUENCE: 3,
} as const;

/** `SessionLog.SessionStatus`. */
export const SessionStatus = {
  STATUS_UNSPECIFIED: 0,
  START: 1,
  STOP: 2,
  CHECKPOINT: 3,
} as const;

/** `tensorboard.hparams.DataType`: the type of an hyperparameter. */
export const HParamType = {
  DATA_TYPE_UNSET: 0,
  DATA_TYPE_STRING: 1,
  DATA_TYPE_BOOL: 2,
  DATA_TYPE_FLOAT64: 3,
} as const;

/** `tensorboard.hparams.Status`: how a session ended. */
export const HParamsStatus = {
  STATUS_UNKNOWN: 0,
  STATUS_SUCCESS: 1,
  STATUS_FAILURE: 2,
  STATUS_RUNNING: 3,
} as const;

/** `SessionLog`. */
export interface SessionLog {
  /** A {@linkcode SessionStatus} code. */
  status: number;
  /** Where a checkpoint was saved (with `CHECKPOINT`). */
  checkpointPath: string;
  /** A message about the session. */
  msg: string;
}

/** `LogMessage` (deprecated). */
export interface LogMessage {
  /** A log level code (`LogMessage.Level`). */
  level: number;
  /** The message text. */
  message: string;
}

/** `TaggedRunMetadata`. */
export interface TaggedRunMetadata {
  /** The tag the metadata is logged under. */
  tag: string;
  /** A serialized RunMetadata. */
  runMetadata: Uint8Array;
}

/** `SourceMetadata`. */
export interface SourceMetadata {
  /** The library that wrote the file (e.g. `tensorboardX`). */
  writer: string;
}

/** `Event`: one record of an event file. At most one of fields 3-9 (the `what` oneof) is set. */
export interface Event {
  /** Seconds since the epoch. */
  wallTime: number;
  /** Global step (0 when absent). */
  step: Int64;
  /** The file format version (`brain.Event:2` in a file's first event). */
  fileVersion?: string;
  /** A serialized GraphDef. */
  graphDef?: Uint8Array;
  /** The summary values the event carries. */
  summary?: Summary;
  /** A log message (deprecated). */
  logMessage?: LogMessage;
  /** A session status change. */
  sessionLog?: SessionLog;
  /** Run metadata under a tag. */
  taggedRunMetadata?: TaggedRunMetadata;
  /** A serialized MetaGraphDef. */
  metaGraphDef?: Uint8Array;
  /** Who wrote the file. */
  sourceMetadata?: SourceMetadata;
}

/** `Summary`: the values an event carries. */
export interface Summary {
  /** The values, one per tag. */
  value: SummaryValue[];
}

/** `Summary.Value`: at most one of the value members (simpleValue ... tensor) is set. */
export interface SummaryValue {
  /** The value's tag. */
  tag: string;
  /** Deprecated; used as the tag by TensorBoard when `tag` is empty. */
  nodeName?: string;
  /** A float32 scalar. */
  simpleValue?: number;
  /** An old-style serialized histogram (unused by TensorBoard). */
  obsoleteOldStyleHistogram?: Uint8Array;
  /** An image. */
  image?: SummaryImage;
  /** A histogram. */
  histo?: HistogramProto;
  /** An audio clip. */
  audio?: SummaryAudio;
  /** A tensor (how plugins such as text and scalars v2 log). */
  tensor?: TensorProto;
  /** What the value is: its plugin, display name and description. */
  metadata?: SummaryMetadata;
}

/** `Summary.Image`. */
export interface SummaryImage {
  /** Height in pixels. */
  height: number;
  /** Width in pixels. */
  width: number;
  /** 1 grayscale, 2 grayscale+alpha, 3 RGB, 4 RGBA, 5 DIGITAL_YUV, 6 BGRA. */
  colorspace: number;
  /** PNG (or GIF, JPEG) bytes. */
  encodedImageString: Uint8Array;
}

/** `Summary.Audio`. */
export interface SummaryAudio {
  /** Samples per second. */
  sampleRate: number;
  /** Number of channels. */
  numChannels: Int64;
  /** Frames per channel. */
  lengthFrames: Int64;
  /** The encoded audio. */
  encodedAudioString: Uint8Array;
  /** Its MIME type, e.g. `audio/wav`. */
  contentType: string;
}

/** `HistogramProto`: `bucketLimit[i]` is the right edge of bucket `i`, `bucket[i]` its count. */
export interface HistogramProto {
  /** The smallest value. */
  min: number;
  /** The largest value. */
  max: number;
  /** How many values. */
  num: number;
  /** Their sum. */
  sum: number;
  /** The sum of their squares. */
  sumSquares: number;
  /** The right edge of each bucket. */
  bucketLimit: number[];
  /** The count of each bucket. */
  bucket: number[];
}

/** `TensorShapeProto.Dim`. */
export interface TensorShapeDim {
  /** The dimension's size (-1 when unknown). */
  size: Int64;
  /** The dimension's name, if any. */
  name?: string;
}

/** `TensorShapeProto`; an empty `dim` list is rank 0. */
export interface TensorShapeProto {
  /** The dimensions, outermost first. */
  dim: TensorShapeDim[];
  /** True when even the rank is unknown. */
  unknownRank?: boolean;
}

/** `TensorProto`: one representation is used, `tensorContent` or the `*Val` matching `dtype`. */
export interface TensorProto {
  /** A {@linkcode DataType} code. */
  dtype: number;
  /** The tensor's shape. */
  tensorShape?: TensorShapeProto;
  /** Version of the representation (0). */
  versionNumber?: number;
  /** Raw little-endian row-major element bytes. */
  tensorContent?: Uint8Array;
  /** Elements of a DT_FLOAT tensor. */
  floatVal?: number[];
  /** Elements of a DT_DOUBLE tensor. */
  doubleVal?: number[];
  /** Elements of an int32, int16, int8 or uint8 tensor. */
  intVal?: number[];
  /** Elements of a DT_STRING tensor, as bytes. */
  stringVal?: Uint8Array[];
  /** Interleaved real and imaginary parts of a DT_COMPLEX64 tensor. */
  scomplexVal?: number[];
  /** Elements of a DT_INT64 tensor. */
  int64Val?: Int64[];
  /** Elements of a DT_BOOL tensor. */
  boolVal?: boolean[];
  /** Interleaved real and imaginary parts of a DT_COMPLEX128 tensor. */
  dcomplexVal?: number[];
  /** Elements of a DT_HALF or DT_BFLOAT16 tensor, as their raw 16 bits. */
  halfVal?: number[];
  /** Elements of a DT_UINT32 tensor. */
  uint32Val?: number[];
  /** Elements of a DT_UINT64 tensor. */
  uint64Val?: Int64[];
}

/** `SummaryMetadata.PluginData`. */
export interface PluginData {
  /** The plugin that reads the value (`scalars`, `text`, `hparams`...). */
  pluginName: string;
  /** Usually a serialized plugin proto; often empty. */
  content: Uint8Array;
}

/** `SummaryMetadata`. TensorBoard keeps only the first one seen per tag. */
export interface SummaryMetadata {
  /** The plugin and its own data. */
  pluginData?: PluginData;
  /** The name to show instead of the tag. */
  displayName?: string;
  /** A longer description, in Markdown. */
  summaryDescription?: string;
  /** A {@linkcode DataClass} code. */
  dataClass?: number;
}

// ---------------------------------------------------------------- encoding

/** Writes an `Event` (without framing). */
export function writeEvent(w: ProtoWriter, e: Event): ProtoWriter {
  if (e.wallTime !== 0) w.tag(1, I64).double(e.wallTime);
  if (e.step !== 0 && e.step !== 0n) w.tag(2, Varint).int64(e.step);
  if (e.fileVersion !== undefined) w.tag(3, Len).string(e.fileVersion);
  if (e.graphDef !== undefined) w.tag(4, Len).bytes(e.graphDef);
  if (e.summary !== undefined) {
    writeSummary(w.tag(5, Len).fork(), e.summary).join();
  }
  if (e.logMessage !== undefined) {
    w.tag(6, Len).fork();
    if (e.logMessage.level) w.tag(1, Varint).int32(e.logMessage.level);
    if (e.logMessage.message) w.tag(2, Len).string(e.logMessage.message);
    w.join();
  }
  if (e.sessionLog !== undefined) {
    const s = e.sessionLog;
    w.tag(7, Len).fork();
    if (s.status) w.tag(1, Varint).int32(s.status);
    if (s.checkpointPath) w.tag(2, Len).string(s.checkpointPath);
    if (s.msg) w.tag(3, Len).string(s.msg);
    w.join();
  }
  if (e.taggedRunMetadata !== undefined) {
    const t = e.taggedRunMetadata;
    w.tag(8, Len).fork();
    if (t.tag) w.tag(1, Len).string(t.tag);
    if (t.runMetadata.length) w.tag(2, Len).bytes(t.runMetadata);
    w.join();
  }
  if (e.metaGraphDef !== undefined) w.tag(9, Len).bytes(e.metaGraphDef);
  if (e.sourceMetadata !== undefined) {
    w.tag(10, Len).fork();
    if (e.sourceMetadata.writer) w.tag(1, Len).string(e.sourceMetadata.writer);
    w.join();
  }
  return w;
}

/**
 * Serializes an `Event` (without TFRecord framing).
 *
 * @example
 * ```ts
 * import { encodeEvent } from "./messages.ts";
 * const b = encodeEvent({ wallTime: 1.5, step: 0, fileVersion: "brain.Event:2" });
 * if (b.length !== 24) throw new Error();
 * ```
 */
export function encodeEvent(e: Event): Uint8Array {
  return writeEvent(new ProtoWriter(), e).finish();
}

/** Writes a `Summary`. */
export function writeSummary(w: ProtoWriter, s: Summary): ProtoWriter {
  for (const v of s.value) writeSummaryValue(w.tag(1, Len).fork(), v).join();
  return w;
}

/** Writes a `Summary.Value`. */
export function writeSummaryValue(
  w: ProtoWriter,
  v: SummaryValue,
): ProtoWriter {
  if (v.tag) w.tag(1, Len).string(v.tag);
  if (v.simpleValue !== undefined) w.tag(2, I32).float(v.simpleValue);
  if (v.obsoleteOldStyleHistogram !== undefined) {
    w.tag(3, Len).bytes(v.obsoleteOldStyleHistogram);
  }
  if (v.image !== undefined) {
    const im = v.image;
    w.tag(4, Len).fork();
    if (im.height) w.tag(1, Varint).int32(im.height);
    if (im.width) w.tag(2, Varint).int32(im.width);
    if (im.colorspace) w.tag(3, Varint).int32(im.colorspace);
    if (im.encodedImageString.length) {
      w.tag(4, Len).bytes(im.encodedImageString);
    }
    w.join();
  }
  if (v.histo !== undefined) {
    writeHistogram(w.tag(5, Len).fork(), v.histo).join();
  }
  if (v.audio !== undefined) {
    const a = v.audio;
    w.tag(6, Len).fork();
    if (a.sampleRate) w.tag(1, I32).float(a.sampleRate);
    if (a.numChannels) w.tag(2, Varint).int64(a.numChannels);
    if (a.lengthFrames) w.tag(3, Varint).int64(a.lengthFrames);
    if (a.encodedAudioString.length) w.tag(4, Len).bytes(a.encodedAudioString);
    if (a.contentType) w.tag(5, Len).string(a.contentType);
    w.join();
  }
  if (v.nodeName) w.tag(7, Len).string(v.nodeName);
  if (v.tensor !== undefined) {
    writeTensor(w.tag(8, Len).fork(), v.tensor).join();
  }
  if (v.metadata !== undefined) {
    writeSummaryMetadata(w.tag(9, Len).fork(), v.metadata).join();
  }
  return w;
}

/** Writes a `HistogramProto`. */
export function writeHistogram(w: ProtoWriter, h: HistogramProto): ProtoWriter {
  if (h.min !== 0) w.tag(1, I64).double(h.min);
  if (h.max !== 0) w.tag(2, I64).double(h.max);
  if (h.num !== 0) w.tag(3, I64).double(h.num);
  if (h.sum !== 0) w.tag(4, I64).double(h.sum);
  if (h.sumSquares !== 0) w.tag(5, I64).double(h.sumSquares);
  return w.packedDoubles(6, h.bucketLimit).packedDoubles(7, h.bucket);
}

/** Writes a `TensorShapeProto`. */
export function writeTensorShape(
  w: ProtoWriter,
  s: TensorShapeProto,
): ProtoWriter {
  for (const d of s.dim) {
    w.tag(2, Len).fork();
    if (d.size !== 0 && d.size !== 0n) w.tag(1, Varint).int64(d.size);
    if (d.name) w.tag(2, Len).string(d.name);
    w.join();
  }
  if (s.unknownRank) w.tag(3, Varint).bool(true);
  return w;
}

/** Writes a `TensorProto`. */
export function writeTensor(w: ProtoWriter, t: TensorProto): ProtoWriter {
  if (t.dtype) w.tag(1, Varint).int32(t.dtype);
  if (t.tensorShape !== undefined) {
    writeTensorShape(w.tag(2, Len).fork(), t.tensorShape).join();
  }
  if (t.versionNumber) w.tag(3, Varint).int32(t.versionNumber);
  if (t.tensorContent?.length) w.tag(4, Len).bytes(t.tensorContent);
  if (t.floatVal) w.packedFloats(5, t.floatVal);
  if (t.doubleVal) w.packedDoubles(6, t.doubleVal);
  if (t.intVal?.length) {
    w.tag(7, Len).fork();
    for (const x of t.intVal) w.int32(x);
    w.join();
  }
  for (const s of t.stringVal ?? []) w.tag(8, Len).bytes(s);
  if (t.scomplexVal) w.packedFloats(9, t.scomplexVal);
  if (t.int64Val) w.packedInt64s(10, t.int64Val);
  if (t.boolVal?.length) {
    w.tag(11, Len).uint32(t.boolVal.length);
    for (const b of t.boolVal) w.bool(b);
  }
  if (t.dcomplexVal) w.packedDoubles(12, t.dcomplexVal);
  if (t.halfVal?.length) {
    w.tag(13, Len).fork();
    for (const x of t.halfVal) w.int32(x);
    w.join();
  }
  if (t.uint32Val?.length) {
    w.tag(16, Len).fork();
    for (const x of t.uint32Val) w.uint32(x);
    w.join();
  }
  if (t.uint64Val?.length) {
    w.tag(17, Len).fork();
    for (const x of t.uint64Val) w.uint64(x);
    w.join();
  }
  return w;
}

/** Serializes a `TensorProto`. */
export function encodeTensor(t: TensorProto): Uint8Array {
  return writeTensor(new ProtoWriter(), t).finish();
}

/** Writes a `SummaryMetadata`. */
export function writeSummaryMetadata(
  w: ProtoWriter,
  m: SummaryMetadata,
): ProtoWriter {
  if (m.pluginData !== undefined) {
    w.tag(1, Len).fork();
    if (m.pluginData.pluginName) w.tag(1, Len).string(m.pluginData.pluginName);
    if (m.pluginData.content.length) w.tag(2, Len).bytes(m.pluginData.content);
    w.join();
  }
  if (m.displayName) w.tag(2, Len).string(m.displayName);
  if (m.summaryDescription) w.tag(3, Len).string(m.summaryDescription);
  if (m.dataClass) w.tag(4, Varint).int32(m.dataClass);
  return w;
}

// ---------------------------------------------------------------- decoding

function clearWhat(e: Event): void {
  delete e.fileVersion;
  delete e.graphDef;
  delete e.summary;
  delete e.logMessage;
  delete e.sessionLog;
  delete e.taggedRunMetadata;
  delete e.metaGraphDef;
}

/** Reads an `Event` from `r` (to its end), merging into `e` when given. */
export function readEvent(
  r: ProtoReader,
  e: Event = { wallTime: 0, step: 0 },
): Event {
  while (!r.done) {
    const [field, wt] = r.key();
    switch (field) {
      case 1:
        if (wt !== I64) {
          r.skip(wt);
          break;
        }
        e.wallTime = r.double();
        break;
      case 2:
        if (wt !== Varint) {
          r.skip(wt);
          break;
        }
        e.step = r.int64();
        break;
      case 3: {
        if (wt !== Len) {
          r.skip(wt);
          break;
        }
        const v = r.string();
        clearWhat(e);
        e.fileVersion = v;
        break;
      }
      case 4: {
        if (wt !== Len) {
          r.skip(wt);
          break;
        }
        const v = r.bytes();
        clearWhat(e);
        e.graphDef = v;
        break;
      }
      case 5: {
        if (wt !== Len) {
          r.skip(wt);
          break;
        }
        const prev = e.summary;
        clearWhat(e);
        e.summary = readSummary(r.sub(), prev);
        break;
      }
      case 6: {
        if (wt !== Len) {
          r.skip(wt);
          break;
        }
        const prev = e.logMessage;
        clearWhat(e);
        e.logMessage = readLogMessage(r.sub(), prev);
        break;
      }
      case 7: {
        if (wt !== Len) {
          r.skip(wt);
          break;
        }
        const prev = e.sessionLog;
        clearWhat(e);
        e.sessionLog = readSessionLog(r.sub(), prev);
        break;
      }
      case 8: {
        if (wt !== Len) {
          r.skip(wt);
          break;
        }
        const prev = e.taggedRunMetadata;
        clearWhat(e);
        e.taggedRunMetadata = readTaggedRunMetadata(r.sub(), prev);
        break;
      }
      case 9: {
        if (wt !== Len) {
          r.skip(wt);
          break;
        }
        const v = r.bytes();
        clearWhat(e);
        e.metaGraphDef = v;
        break;
      }
      case 10: {
        if (wt !== Len) {
          r.skip(wt);
          break;
        }
        const sm = e.sourceMetadata ?? { writer: "" };
        const s = r.sub();
        while (!s.done) {
          const [f, t] = s.key();
          if (f === 1 && t === Len) sm.writer = s.string();
          else s.skip(t);
        }
        e.sourceMetadata = sm;
        break;
      }
      default:
        r.skip(wt);
    }
  }
  return e;
}

/**
 * Parses a serialized `Event`. Malformed data throws a RangeError (premature
 * end) or SyntaxError.
 *
 * @example
 * ```ts
 * import { decodeEvent, encodeEvent } from "./messages.ts";
 * const e = decodeEvent(encodeEvent({ wallTime: 2, step: -1, fileVersion: "brain.Event:2" }));
 * if (e.step !== -1 || e.fileVersion !== "brain.Event:2") throw new Error();
 * ```
 */
export function decodeEvent(bytes: Uint8Array): Event {
  return readEvent(new ProtoReader(bytes));
}

function readLogMessage(
  r: ProtoReader,
  m: LogMessage = { level: 0, message: "" },
): LogMessage {
  while (!r.done) {
    const [f, wt] = r.key();
    if (f === 1 && wt === Varint) m.level = r.int32();
    else if (f === 2 && wt === Len) m.message = r.string();
    else r.skip(wt);
  }
  return m;
}

function readSessionLog(
  r: ProtoReader,
  m: SessionLog = { status: 0, checkpointPath: "", msg: "" },
): SessionLog {
  while (!r.done) {
    const [f, wt] = r.key();
    if (f === 1 && wt === Varint) m.status = r.int32();
    else if (f === 2 && wt === Len) m.checkpointPath = r.string();
    else if (f === 3 && wt === Len) m.msg = r.string();
    else r.skip(wt);
  }
  return m;
}

function readTaggedRunMetadata(
  r: ProtoReader,
  m: TaggedRunMetadata = { tag: "", runMetadata: new Uint8Array(0) },
): TaggedRunMetadata {
  while (!r.done) {
    const [f, wt] = r.key();
    if (f === 1 && wt === Len) m.tag = r.string();
    else if (f === 2 && wt === Len) m.runMetadata = r.bytes();
    else r.skip(wt);
  }
  return m;
}

/** Reads a `Summary`, merging into `s` when given. */
export function readSummary(
  r: ProtoReader,
  s: Summary = { value: [] },
): Summary {
  while (!r.done) {
    const [f, wt] = r.key();
    if (f === 1 && wt === Len) s.value.push(readSummaryValue(r.sub()));
    else r.skip(wt);
  }
  return s;
}

function clearValue(v: SummaryValue): void {
  delete v.simpleValue;
  delete v.obsoleteOldStyleHistogram;
  delete v.image;
  delete v.histo;
  delete v.audio;
  delete v.tensor;
}

/** Reads a `Summary.Value`. */
export function readSummaryValue(
  r: ProtoReader,
  v: SummaryValue = { tag: "" },
): SummaryValue {
  while (!r.done) {
    const [f, wt] = r.key();
    switch (f) {
      case 1:
        if (wt !== Len) {
          r.skip(wt);
          break;
        }
        v.tag = r.string();
        break;
      case 2: {
        if (wt !== I32) {
          r.skip(wt);
          break;
        }
        const x = r.float();
        clearValue(v);
        v.simpleValue = x;
        break;
      }
      case 3: {
        if (wt !== Len) {
          r.skip(wt);
          break;
        }
        const x = r.bytes();
        clearValue(v);
        v.obsoleteOldStyleHistogram = x;
        break;
      }
      case 4: {
        if (wt !== Len) {
          r.skip(wt);
          break;
        }
        const prev = v.image;
        clearValue(v);
        v.image = readImage(r.sub(), prev);
        break;
      }
      case 5: {
        if (wt !== Len) {
          r.skip(wt);
          break;
        }
        const prev = v.histo;
        clearValue(v);
        v.histo = readHistogram(r.sub(), prev);
        break;
      }
      case 6: {
        if (wt !== Len) {
          r.skip(wt);
          break;
        }
        const prev = v.audio;
        clearValue(v);
        v.audio = readAudio(r.sub(), prev);
        break;
      }
      case 7:
        if (wt !== Len) {
          r.skip(wt);
          break;
        }
        v.nodeName = r.string();
        break;
      case 8: {
        if (wt !== Len) {
          r.skip(wt);
          break;
        }
        const prev = v.tensor;
        clearValue(v);
        v.tensor = readTensor(r.sub(), prev);
        break;
      }
      case 9:
        if (wt !== Len) {
          r.skip(wt);
          break;
        }
        v.metadata = readSummaryMetadata(r.sub(), v.metadata);
        break;
      default:
        r.skip(wt);
    }
  }
  return v;
}

function readImage(
  r: ProtoReader,
  m: SummaryImage = {
    height: 0,
    width: 0,
    colorspace: 0,
    encodedImageString: new Uint8Array(0),
  },
): SummaryImage {
  while (!r.done) {
    const [f, wt] = r.key();
    if (f === 1 && wt === Varint) m.height = r.int32();
    else if (f === 2 && wt === Varint) m.width = r.int32();
    else if (f === 3 && wt === Varint) m.colorspace = r.int32();
    else if (f === 4 && wt === Len) m.encodedImageString = r.bytes();
    else r.skip(wt);
  }
  return m;
}

function readAudio(
  r: ProtoReader,
  m: SummaryAudio = {
    sampleRate: 0,
    numChannels: 0,
    lengthFrames: 0,
    encodedAudioString: new Uint8Array(0),
    contentType: "",
  },
): SummaryAudio {
  while (!r.done) {
    const [f, wt] = r.key();
    if (f === 1 && wt === I32) m.sampleRate = r.float();
    else if (f === 2 && wt === Varint) m.numChannels = r.int64();
    else if (f === 3 && wt === Varint) m.lengthFrames = r.int64();
    else if (f === 4 && wt === Len) m.encodedAudioString = r.bytes();
    else if (f === 5 && wt === Len) m.contentType = r.string();
    else r.skip(wt);
  }
  return m;
}

/** Reads a `HistogramProto`. */
export function readHistogram(
  r: ProtoReader,
  h: HistogramProto = {
    min: 0,
    max: 0,
    num: 0,
    sum: 0,
    sumSquares: 0,
    bucketLimit: [],
    bucket: [],
  },
): HistogramProto {
  while (!r.done) {
    const [f, wt] = r.key();
    if (f >= 1 && f <= 5 && wt === I64) {
      const x = r.double();
      if (f === 1) h.min = x;
      else if (f === 2) h.max = x;
      else if (f === 3) h.num = x;
      else if (f === 4) h.sum = x;
      else h.sumSquares = x;
    } else if (f === 6) r.doubles(wt, h.bucketLimit);
    else if (f === 7) r.doubles(wt, h.bucket);
    else r.skip(wt);
  }
  return h;
}

function readTensorShape(
  r: ProtoReader,
  s: TensorShapeProto = { dim: [] },
): TensorShapeProto {
  while (!r.done) {
    const [f, wt] = r.key();
    if (f === 2 && wt === Len) {
      const d: TensorShapeDim = { size: 0 };
      const dr = r.sub();
      while (!dr.done) {
        const [df, dwt] = dr.key();
        if (df === 1 && dwt === Varint) d.size = dr.int64();
        else if (df === 2 && dwt === Len) d.name = dr.string();
        else dr.skip(dwt);
      }
      s.dim.push(d);
    } else if (f === 3 && wt === Varint) s.unknownRank = r.bool();
    else r.skip(wt);
  }
  return s;
}

const readI32 = (r: ProtoReader) => r.int32();
const readU32 = (r: ProtoReader) => r.uint32();
const readI64 = (r: ProtoReader) => r.int64();
const readU64 = (r: ProtoReader) => r.uint64();
const readBool = (r: ProtoReader) => r.bool();

/** Reads a `TensorProto`. */
export function readTensor(
  r: ProtoReader,
  t: TensorProto = { dtype: 0 },
): TensorProto {
  while (!r.done) {
    const [f, wt] = r.key();
    switch (f) {
      case 1:
        if (wt !== Varint) {
          r.skip(wt);
          break;
        }
        t.dtype = r.int32();
        break;
      case 2:
        if (wt !== Len) {
          r.skip(wt);
          break;
        }
        t.tensorShape = readTensorShape(r.sub(), t.tensorShape);
        break;
      case 3:
        if (wt !== Varint) {
          r.skip(wt);
          break;
        }
        t.versionNumber = r.int32();
        break;
      case 4:
        if (wt !== Len) {
          r.skip(wt);
          break;
        }
        t.tensorContent = r.bytes();
        break;
      case 5:
        r.floats(wt, t.floatVal ??= []);
        break;
      case 6:
        r.doubles(wt, t.doubleVal ??= []);
        break;
      case 7:
        r.varints(wt, t.intVal ??= [], readI32);
        break;
      case 8:
        if (wt !== Len) {
          r.skip(wt);
          break;
        }
        (t.stringVal ??= []).push(r.bytes());
        break;
      case 9:
        r.floats(wt, t.scomplexVal ??= []);
        break;
      case 10:
        r.varints(wt, t.int64Val ??= [], readI64);
        break;
      case 11:
        r.varints(wt, t.boolVal ??= [], readBool);
        break;
      case 12:
        r.doubles(wt, t.dcomplexVal ??= []);
        break;
      case 13:
        r.varints(wt, t.halfVal ??= [], readI32);
        break;
      case 16:
        r.varints(wt, t.uint32Val ??= [], readU32);
        break;
      case 17:
        r.varints(wt, t.uint64Val ??= [], readU64);
        break;
      default:
        r.skip(wt);
    }
  }
  return t;
}

/** Parses a serialized `TensorProto`. */
export function decodeTensor(bytes: Uint8Array): TensorProto {
  return readTensor(new ProtoReader(bytes));
}

/** Reads a `SummaryMetadata`. */
export function readSummaryMetadata(
  r: ProtoReader,
  m: SummaryMetadata = {},
): SummaryMetadata {
  while (!r.done) {
    const [f, wt] = r.key();
    if (f === 1 && wt === Len) {
      const pd = m.pluginData ?? { pluginName: "", content: new Uint8Array(0) };
      const pr = r.sub();
      while (!pr.done) {
        const [pf, pwt] = pr.key();
        if (pf === 1 && pwt === Len) pd.pluginName = pr.string();
        else if (pf === 2 && pwt === Len) pd.content = pr.bytes();
        else pr.skip(pwt);
      }
      m.pluginData = pd;
    } else if (f === 2 && wt === Len) m.displayName = r.string();
    else if (f === 3 && wt === Len) m.summaryDescription = r.string();
    else if (f === 4 && wt === Varint) m.dataClass = r.int32();
    else r.skip(wt);
  }
  return m;
}

// ---------------------------------------------------------------- hparams

/** A google.protobuf.Value as plain JSON: null, number, string, bool, list (ListValue) or object (Struct). */
export type JsonValue = null | number | string | boolean | JsonValue[] | {
  [key: string]: JsonValue;
};

/** `tensorboard.hparams.Interval`. */
export interface Interval {
  /** The lower bound. */
  minValue: number;
  /** The upper bound. */
  maxValue: number;
}

/** `tensorboard.hparams.HParamInfo`. */
export interface HParamInfo {
  /** The hyperparameter's name. */
  name: string;
  /** The name to show instead. */
  displayName?: string;
  /** A description. */
  description?: string;
  /** An {@linkcode HParamType} code. */
  type?: number;
  /** The allowed values (a google.protobuf.ListValue). */
  domainDiscrete?: JsonValue[];
  /** The range of values it may take. */
  domainInterval?: Interval;
  /** Whether it differs between sessions. */
  differs?: boolean;
}

/** `tensorboard.hparams.MetricName`. */
export interface MetricName {
  /** The metric's group (its run's sub-folder). */
  group?: string;
  /** The metric's tag. */
  tag: string;
}

/** `tensorboard.hparams.MetricInfo`. */
export interface MetricInfo {
  /** The metric's group and tag. */
  name: MetricName;
  /** The name to show instead. */
  displayName?: string;
  /** A description. */
  description?: string;
  /** UNKNOWN 0, TRAINING 1, VALIDATION 2. */
  datasetType?: number;
}

/** `tensorboard.hparams.Experiment`. */
export interface Experiment {
  /** The experiment's name. */
  name?: string;
  /** A description. */
  description?: string;
  /** Who ran it. */
  user?: string;
  /** When it was created, in seconds since the epoch. */
  timeCreatedSecs?: number;
  /** Its hyperparameters. */
  hparamInfos: HParamInfo[];
  /** Its metrics. */
  metricInfos: MetricInfo[];
}

/** `tensorboard.hparams.SessionStartInfo`. */
export interface SessionStartInfo {
  /** The map `hparams`, in insertion order. */
  hparams: Record<string, JsonValue>;
  /** Where the session's model is. */
  modelUri?: string;
  /** Where to monitor the session. */
  monitorUrl?: string;
  /** The group of sessions it belongs to. */
  groupName?: string;
  /** When it started, in seconds since the epoch. */
  startTimeSecs?: number;
}

/** `tensorboard.hparams.SessionEndInfo`. */
export interface SessionEndInfo {
  /** An {@linkcode HParamsStatus} code. */
  status: number;
  /** When it ended, in seconds since the epoch. */
  endTimeSecs?: number;
}

/** `tensorboard.hparams.HParamsPluginData`: one of the three members is set. */
export interface HParamsPluginData {
  /** The plugin data's version (0). */
  version?: number;
  /** The experiment: hyperparameters and metrics. */
  experiment?: Experiment;
  /** A session's start: its hyperparameter values. */
  sessionStartInfo?: SessionStartInfo;
  /** A session's end: its status. */
  sessionEndInfo?: SessionEndInfo;
}

/** Writes a google.protobuf.Value from a JSON-like value. */
export function writeJsonValue(w: ProtoWriter, v: JsonValue): ProtoWriter {
  if (v === null) return w.tag(1, Varint).uint32(0);
  switch (typeof v) {
    case "number":
      return w.tag(2, I64).double(v);
    case "string":
      return w.tag(3, Len).string(v);
    case "boolean":
      return w.tag(4, Varint).bool(v);
  }
  if (Array.isArray(v)) return writeListValue(w.tag(6, Len).fork(), v).join();
  if (typeof v === "object") return writeStruct(w.tag(5, Len).fork(), v).join();
  throw new TypeError(
    `Cannot encode google.protobuf.Value: unsupported value ${String(v)}`,
  );
}

function writeListValue(w: ProtoWriter, values: JsonValue[]): ProtoWriter {
  for (const x of values) writeJsonValue(w.tag(1, Len).fork(), x).join();
  return w;
}

function writeStruct(
  w: ProtoWriter,
  fields: { [key: string]: JsonValue },
): ProtoWriter {
  return writeValueMap(w, 1, fields);
}

function writeValueMap(
  w: ProtoWriter,
  field: number,
  map: Record<string, JsonValue>,
): ProtoWriter {
  for (const [k, v] of Object.entries(map)) {
    w.tag(field, Len).fork();
    if (k) w.tag(1, Len).string(k);
    writeJsonValue(w.tag(2, Len).fork(), v).join();
    w.join();
  }
  return w;
}

/** Reads a google.protobuf.Value (an empty Value reads as null). */
export function readJsonValue(r: ProtoReader): JsonValue {
  let v: JsonValue = null;
  while (!r.done) {
    const [f, wt] = r.key();
    if (f === 1 && wt === Varint) {
      r.varint64();
      v = null;
    } else if (f === 2 && wt === I64) v = r.double();
    else if (f === 3 && wt === Len) v = r.string();
    else if (f === 4 && wt === Varint) v = r.bool();
    else if (f === 5 && wt === Len) v = readValueMap(r.sub(), 1);
    else if (f === 6 && wt === Len) v = readListValue(r.sub());
    else r.skip(wt);
  }
  return v;
}

function readListValue(r: ProtoReader): JsonValue[] {
  const out: JsonValue[] = [];
  while (!r.done) {
    const [f, wt] = r.key();
    if (f === 1 && wt === Len) out.push(readJsonValue(r.sub()));
    else r.skip(wt);
  }
  return out;
}

function readValueMap(
  r: ProtoReader,
  field: number,
  into: Record<string, JsonValue> = {},
): Record<string, JsonValue> {
  while (!r.done) {
    const [f, wt] = r.key();
    if (f === field && wt === Len) readMapEntry(r.sub(), into);
    else r.skip(wt);
  }
  return into;
}

function readMapEntry(r: ProtoReader, into: Record<string, JsonValue>): void {
  let key = "";
  let value: JsonValue = null;
  while (!r.done) {
    const [f, wt] = r.key();
    if (f === 1 && wt === Len) key = r.string();
    else if (f === 2 && wt === Len) value = readJsonValue(r.sub());
    else r.skip(wt);
  }
  into[key] = value;
}

/** Writes an `HParamsPluginData`. */
export function writeHParamsPluginData(
  w: ProtoWriter,
  d: HParamsPluginData,
): ProtoWriter {
  if (d.version) w.tag(1, Varint).int32(d.version);
  if (d.experiment !== undefined) {
    const x = d.experiment;
    w.tag(2, Len).fork();
    if (x.description) w.tag(1, Len).string(x.description);
    if (x.user) w.tag(2, Len).string(x.user);
    if (x.timeCreatedSecs) w.tag(3, I64).double(x.timeCreatedSecs);
    for (const h of x.hparamInfos) {
      w.tag(4, Len).fork();
      if (h.name) w.tag(1, Len).string(h.name);
      if (h.displayName) w.tag(2, Len).string(h.displayName);
      if (h.description) w.tag(3, Len).string(h.description);
      if (h.type) w.tag(4, Varint).int32(h.type);
      if (h.domainDiscrete !== undefined) {
        writeListValue(w.tag(5, Len).fork(), h.domainDiscrete).join();
      }
      if (h.domainInterval !== undefined) {
        w.tag(6, Len).fork();
        if (h.domainInterval.minValue) {
          w.tag(1, I64).double(h.domainInterval.minValue);
        }
        if (h.domainInterval.maxValue) {
          w.tag(2, I64).double(h.domainInterval.maxValue);
        }
        w.join();
      }
      if (h.differs) w.tag(7, Varint).bool(true);
      w.join();
    }
    for (const m of x.metricInfos) {
      w.tag(5, Len).fork();
      w.tag(1, Len).fork();
      if (m.name.group) w.tag(1, Len).string(m.name.group);
      if (m.name.tag) w.tag(2, Len).string(m.name.tag);
      w.join();
      if (m.displayName) w.tag(3, Len).string(m.displayName);
      if (m.description) w.tag(4, Len).string(m.description);
      if (m.datasetType) w.tag(5, Varint).int32(m.datasetType);
      w.join();
    }
    if (x.name) w.tag(6, Len).string(x.name);
    w.join();
  }
  if (d.sessionStartInfo !== undefined) {
    const s = d.sessionStartInfo;
    w.tag(3, Len).fork();
    writeValueMap(w, 1, s.hparams);
    if (s.modelUri) w.tag(2, Len).string(s.modelUri);
    if (s.monitorUrl) w.tag(3, Len).string(s.monitorUrl);
    if (s.groupName) w.tag(4, Len).string(s.groupName);
    if (s.startTimeSecs) w.tag(5, I64).double(s.startTimeSecs);
    w.join();
  }
  if (d.sessionEndInfo !== undefined) {
    const s = d.sessionEndInfo;
    w.tag(4, Len).fork();
    if (s.status) w.tag(1, Varint).int32(s.status);
    if (s.endTimeSecs) w.tag(2, I64).double(s.endTimeSecs);
    w.join();
  }
  return w;
}

/**
 * Serializes an `HParamsPluginData` (the `content` of an hparams summary).
 *
 * @example
 * ```ts
 * import { encodeHParamsPluginData, HParamsStatus } from "./messages.ts";
 * const b = encodeHParamsPluginData({ sessionEndInfo: { status: HParamsStatus.STATUS_SUCCESS } });
 * if (b.join(" ") !== "34 2 8 1") throw new Error();
 * ```
 */
export function encodeHParamsPluginData(d: HParamsPluginData): Uint8Array {
  return writeHParamsPluginData(new ProtoWriter(), d).finish();
}

/** Parses a serialized `HParamsPluginData`. */
export function decodeHParamsPluginData(bytes: Uint8Array): HParamsPluginData {
  const r = new ProtoReader(bytes);
  const d: HParamsPluginData = {};
  while (!r.done) {
    const [f, wt] = r.key();
    if (f === 1 && wt === Varint) d.version = r.int32();
    else if (f === 2 && wt === Len) {
      delete d.sessionStartInfo;
      delete d.sessionEndInfo;
      d.experiment = readExperiment(r.sub(), d.experiment);
    } else if (f === 3 && wt === Len) {
      delete d.experiment;
      delete d.sessionEndInfo;
      d.sessionStartInfo = readSessionStartInfo(r.sub(), d.sessionStartInfo);
    } else if (f === 4 && wt === Len) {
      delete d.experiment;
      delete d.sessionStartInfo;
      const s = d.sessionEndInfo ?? { status: 0 };
      const sr = r.sub();
      while (!sr.done) {
        const [sf, swt] = sr.key();
        if (sf === 1 && swt === Varint) s.status = sr.int32();
        else if (sf === 2 && swt === I64) s.endTimeSecs = sr.double();
        else sr.skip(swt);
      }
      d.sessionEndInfo = s;
    } else r.skip(wt);
  }
  return d;
}

function readExperiment(
  r: ProtoReader,
  x: Experiment = { hparamInfos: [], metricInfos: [] },
): Experiment {
  while (!r.done) {
    const [f, wt] = r.key();
    if (f === 1 && wt === Len) x.description = r.string();
    else if (f === 2 && wt === Len) x.user = r.string();
    else if (f === 3 && wt === I64) x.timeCreatedSecs = r.double();
    else if (f === 4 && wt === Len) x.hparamInfos.push(readHParamInfo(r.sub()));
    else if (f === 5 && wt === Len) x.metricInfos.push(readMetricInfo(r.sub()));
    else if (f === 6 && wt === Len) x.name = r.string();
    else r.skip(wt);
  }
  return x;
}

function readHParamInfo(r: ProtoReader): HParamInfo {
  const h: HParamInfo = { name: "" };
  while (!r.done) {
    const [f, wt] = r.key();
    if (f === 1 && wt === Len) h.name = r.string();
    else if (f === 2 && wt === Len) h.displayName = r.string();
    else if (f === 3 && wt === Len) h.description = r.string();
    else if (f === 4 && wt === Varint) h.type = r.int32();
    else if (f === 5 && wt === Len) {
      delete h.domainInterval;
      h.domainDiscrete = readListValue(r.sub());
    } else if (f === 6 && wt === Len) {
      delete h.domainDiscrete;
      const iv: Interval = { minValue: 0, maxValue: 0 };
      const ir = r.sub();
      while (!ir.done) {
        const [nf, nwt] = ir.key();
        if (nf === 1 && nwt === I64) iv.minValue = ir.double();
        else if (nf === 2 && nwt === I64) iv.maxValue = ir.double();
        else ir.skip(nwt);
      }
      h.domainInterval = iv;
    } else if (f === 7 && wt === Varint) h.differs = r.bool();
    else r.skip(wt);
  }
  return h;
}

function readMetricInfo(r: ProtoReader): MetricInfo {
  const m: MetricInfo = { name: { tag: "" } };
  while (!r.done) {
    const [f, wt] = r.key();
    if (f === 1 && wt === Len) {
      const nr = r.sub();
      while (!nr.done) {
        const [nf, nwt] = nr.key();
        if (nf === 1 && nwt === Len) m.name.group = nr.string();
        else if (nf === 2 && nwt === Len) m.name.tag = nr.string();
        else nr.skip(nwt);
      }
    } else if (f === 3 && wt === Len) m.displayName = r.string();
    else if (f === 4 && wt === Len) m.description = r.string();
    else if (f === 5 && wt === Varint) m.datasetType = r.int32();
    else r.skip(wt);
  }
  return m;
}

function readSessionStartInfo(
  r: ProtoReader,
  s: SessionStartInfo = { hparams: {} },
): SessionStartInfo {
  while (!r.done) {
    const [f, wt] = r.key();
    if (f === 1 && wt === Len) readMapEntry(r.sub(), s.hparams);
    else if (f === 2 && wt === Len) s.modelUri = r.string();
    else if (f === 3 && wt === Len) s.monitorUrl = r.string();
    else if (f === 4 && wt === Len) s.groupName = r.string();
    else if (f === 5 && wt === I64) s.startTimeSecs = r.double();
    else r.skip(wt);
  }
  return s;
}

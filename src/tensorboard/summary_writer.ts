/**
 * A TensorBoard event file writer compatible with tensorboardX's output.
 *
 * @module
 */

import { join } from "../path.ts";
import { elementCount, type Tensor } from "../tensor.ts";
import { holdUntilExit, release } from "../run/exit_hooks.ts";
import { tensorNumbers } from "./_tensor_numbers.ts";
import { type Bins, makeHistogram } from "./histogram.ts";
import {
  DataType,
  encodeHParamsPluginData,
  type Event,
  type HParamInfo,
  HParamsStatus,
  HParamType,
  type JsonValue,
  type SummaryValue,
  writeEvent,
} from "./messages.ts";
import { encodePng } from "./png.ts";
import {
  RECORD_FOOTER_BYTES,
  RECORD_HEADER_BYTES,
  sealRecord,
} from "./record.ts";
import { cleanTag } from "./tags.ts";
import { ProtoWriter, varintSize } from "./wire.ts";
import { warn } from "../warn.ts";

/** Options for {@linkcode SummaryWriter}. */
export interface SummaryWriterOptions {
  /**
   * Longest time, in milliseconds, that an event stays in memory before it is
   * written to the file (default 1000). `0` writes every event at once;
   * `Infinity` writes only on {@linkcode SummaryWriter.flush},
   * {@linkcode SummaryWriter.close}, a full buffer, or exit.
   */
  flushMs?: number;
  /** Appended to the event file's name (default `""`). */
  filenameSuffix?: string;
  /** Buffered bytes that trigger an immediate write (default 1 MiB). */
  maxBufferBytes?: number;
}

/** Options for {@linkcode SummaryWriter.addImage}. */
export interface AddImageOptions {
  /** Layout of `image` (default `"CHW"`, as tensorboardX). */
  dataformats?: "CHW" | "HWC" | "HW";
  /** Event time in seconds since the epoch (default now). */
  walltime?: number;
}

/** Options for {@linkcode SummaryWriter.addHistogram}. */
export interface AddHistogramOptions {
  /** Merge neighbouring bins down to at most this many (default: no limit). */
  maxBins?: number;
  /** Event time in seconds since the epoch (default now). */
  walltime?: number;
}

/** Options for {@linkcode SummaryWriter.addHparams}. */
export interface AddHparamsOptions {
  /** Name of the sub-run folder (default: the current time in seconds, as tensorboardX). */
  name?: string;
  /** Allowed values per hyperparameter, written as the experiment's discrete domains. */
  domainDiscrete?: Record<string, JsonValue[]>;
  /** Step of the metric scalars (default 0). */
  step?: number | bigint;
}

/** A value {@linkcode SummaryWriter.addHparams} accepts for a hyperparameter; `null` is skipped. */
export type HparamValue = string | number | boolean | null;

const encoder = new TextEncoder();
const FILE_VERSION = "brain.Event:2";
let fileCounter = 0;

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "localhost";
  }
}

function checkStep(step: number | bigint): void {
  if (
    typeof step === "number"
      ? !Number.isSafeInteger(step)
      : typeof step !== "bigint"
  ) {
    throw new TypeError(
      `Cannot write event: step ${
        String(step)
      } is not an integer (a safe integer or bigint)`,
    );
  }
}

function checkWalltime(walltime: number): void {
  if (!Number.isFinite(walltime)) {
    throw new RangeError(
      `Cannot write event: walltime ${walltime} is not finite`,
    );
  }
}

function now(): number {
  return Date.now() / 1000;
}

/**
 * Writes TensorBoard event files the way tensorboardX does (same tags, same
 * summaries, same folder layout for `addScalars` and `addHparams`).
 *
 * Events are encoded into an in-memory buffer and appended to the file, as
 * whole records, at most `flushMs` after they were added, when the buffer
 * reaches `maxBufferBytes`, on {@linkcode SummaryWriter.flush} and
 * {@linkcode SummaryWriter.close}, and when the process exits normally, on an
 * uncaught error, or on SIGINT/SIGTERM (after which it exits with 130/143).
 *
 * @example
 * ```ts
 * import { readEvents, SummaryWriter } from "./mod.ts";
 * const dir = Deno.makeTempDirSync();
 * {
 *   using w = new SummaryWriter(dir);
 *   w.addScalar("loss", 0.5, 1);
 * }
 * const { events } = readEvents(dir);
 * if (events[1].summary?.[0].simpleValue !== 0.5) throw new Error();
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export class SummaryWriter implements Disposable {
  /** The folder the event file is in. */
  readonly logdir: string;
  /** The event file's path. */
  readonly path: string;

  #file: Deno.FsFile | undefined;
  readonly #out = new ProtoWriter(64 * 1024);
  readonly #flushMs: number;
  readonly #maxBuffer: number;
  readonly #options: SummaryWriterOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #tags = new Map<string, Uint8Array>();
  readonly #children = new Map<string, SummaryWriter>();
  readonly #hparamRuns = new Set<string>();
  readonly #onTimer = () => {
    this.#timer = undefined;
    try {
      this.flush();
    } catch (e) {
      warn(
        `could not write TensorBoard events to ${this.path}: ${
          e instanceof Error ? e.message : e
        }`,
      );
    }
  };

  /**
   * Creates `logdir` if needed and a new event file in it named
   * `events.out.tfevents.<10-digit seconds>.<hostname>.<pid>.<counter><suffix>`,
   * starting with the `brain.Event:2` file-version record.
   */
  constructor(logdir: string, options: SummaryWriterOptions = {}) {
    const flushMs = options.flushMs ?? 1000;
    if (!(flushMs >= 0)) {
      throw new RangeError(
        `Cannot create SummaryWriter: flushMs ${flushMs} must be >= 0`,
      );
    }
    this.#flushMs = flushMs;
    this.#maxBuffer = options.maxBufferBytes ?? 1024 * 1024;
    this.#options = options;
    this.logdir = logdir;
    Deno.mkdirSync(logdir, { recursive: true });
    const wallTime = now();
    const secs = String(Math.floor(wallTime)).padStart(10, "0");
    const host = hostname();
    const suffix = options.filenameSuffix ?? "";
    for (;;) {
      const path = join(
        logdir,
        `events.out.tfevents.${secs}.${host}.${Deno.pid}.${fileCounter++}${suffix}`,
      );
      try {
        this.#file = Deno.openSync(path, { write: true, createNew: true });
        this.path = path;
        break;
      } catch (e) {
        if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      }
    }
    this.#append({ wallTime, step: 0, fileVersion: FILE_VERSION });
    this.flush();
    holdUntilExit(this);
  }

  /** Whether {@linkcode SummaryWriter.close} has been called. */
  get closed(): boolean {
    return this.#file === undefined;
  }

  /** Bytes encoded but not yet written to the file. */
  get bufferedBytes(): number {
    return this.#out.pos;
  }

  #checkOpen(): void {
    if (this.#file === undefined) {
      throw new TypeError(
        `Cannot write to ${this.path}: the SummaryWriter is closed`,
      );
    }
  }

  /** Frames and buffers one event. */
  #append(e: Event): void {
    const w = this.#out;
    const start = w.pos;
    w.ensure(RECORD_HEADER_BYTES);
    w.pos += RECORD_HEADER_BYTES;
    try {
      writeEvent(w, e);
    } catch (err) {
      w.pos = start;
      throw err;
    }
    const length = w.pos - start - RECORD_HEADER_BYTES;
    w.ensure(RECORD_FOOTER_BYTES);
    w.pos = sealRecord(w.buf, w.view, start, length);
    this.#afterAppend();
  }

  #afterAppend(): void {
    if (this.#out.pos >= this.#maxBuffer || this.#flushMs === 0) this.flush();
    else if (this.#timer === undefined && this.#flushMs !== Infinity) {
      const timer = setTimeout(this.#onTimer, this.#flushMs);
      Deno.unrefTimer(timer);
      this.#timer = timer;
    }
  }

  #summary(
    values: SummaryValue[],
    step: number | bigint,
    walltime: number | undefined,
  ): void {
    this.#checkOpen();
    checkStep(step);
    const wallTime = walltime ?? now();
    checkWalltime(wallTime);
    this.#append({ wallTime, step, summary: { value: values } });
  }

  /**
   * Adds a scalar (a float32 `simple_value`) under `tag`, cleaned as
   * tensorboardX does (`mx^2` becomes `mx_2`).
   *
   * @param tag Series name.
   * @param value The value (stored as float32).
   * @param step Global step (default 0).
   * @param walltime Seconds since the epoch (default now).
   */
  addScalar(
    tag: string,
    value: number,
    step: number | bigint = 0,
    walltime?: number,
  ): void {
    if (this.#file === undefined) this.#checkOpen();
    if (typeof value !== "number") {
      throw new TypeError(
        `Cannot add scalar "${tag}": value ${String(value)} is not a number`,
      );
    }
    let tagBytes = this.#tags.get(tag);
    if (tagBytes === undefined) {
      if (typeof tag !== "string") {
        throw new TypeError(
          `Cannot add scalar: tag ${String(tag)} is not a string`,
        );
      }
      if (this.#tags.size >= 4096) this.#tags.clear();
      tagBytes = encoder.encode(cleanTag(tag));
      this.#tags.set(tag, tagBytes);
    }
    const wallTime = walltime ?? now();
    if (walltime !== undefined) checkWalltime(wallTime);
    const smallStep = typeof step === "number" && (step | 0) === step &&
      step >= 0;
    if (!smallStep) checkStep(step);

    // Event{wall_time, step, summary{value{tag, simple_value}}}, sizes precomputed.
    const valueLen = 1 + varintSize(tagBytes.length) + tagBytes.length + 5;
    const summaryLen = 1 + varintSize(valueLen) + valueLen;
    const w = this.#out;
    const start = w.pos;
    w.ensure(
      RECORD_HEADER_BYTES + 9 + 11 + 1 + 5 + summaryLen + RECORD_FOOTER_BYTES,
    );
    w.pos = start + RECORD_HEADER_BYTES;
    w.buf[w.pos++] = 0x09;
    w.double(wallTime);
    if (smallStep) {
      if (step !== 0) {
        w.buf[w.pos++] = 0x10;
        w.uint32(step as number);
      }
    } else if (step !== 0n) {
      w.buf[w.pos++] = 0x10;
      w.int64(step);
    }
    w.buf[w.pos++] = 0x2a;
    w.uint32(summaryLen);
    w.buf[w.pos++] = 0x0a;
    w.uint32(valueLen);
    w.buf[w.pos++] = 0x0a;
    w.uint32(tagBytes.length);
    w.raw(tagBytes);
    w.buf[w.pos++] = 0x15;
    w.float(value);
    w.pos = sealRecord(
      w.buf,
      w.view,
      start,
      w.pos - start - RECORD_HEADER_BYTES,
    );
    this.#afterAppend();
  }

  /**
   * Adds several scalars that share a chart, as tensorboardX does: each key
   * `k` goes to its own run, `<logdir>/<mainTag>/<k>/`, under the tag
   * `mainTag`.
   */
  addScalars(
    mainTag: string,
    values: Record<string, number>,
    step: number | bigint = 0,
    walltime?: number,
  ): void {
    this.#checkOpen();
    const wallTime = walltime ?? now();
    for (const [k, v] of Object.entries(values)) {
      let child = this.#children.get(k);
      if (child === undefined || child.closed) {
        child = new SummaryWriter(join(this.logdir, mainTag, k), this.#options);
        this.#children.set(k, child);
      }
      child.addScalar(mainTag, v, step, wallTime);
    }
  }

  /**
   * Adds a histogram of `values` built as tensorboardX does (its default
   * exponential buckets unless `bins` says otherwise), with no metadata.
   *
   * @param bins `"tensorflow"` (default), a number of equal-width bins, or the bin edges.
   */
  addHistogram(
    tag: string,
    values: ArrayLike<number> | Tensor,
    step: number | bigint = 0,
    bins: Bins = "tensorflow",
    options: AddHistogramOptions = {},
  ): void {
    this.#checkOpen();
    const numbers = isTensor(values) ? tensorNumbers(values) : values;
    const histo = makeHistogram(numbers, { bins, maxBins: options.maxBins });
    this.#summary([{ tag: cleanTag(tag), histo }], step, options.walltime);
  }

  /**
   * Adds a text summary as tensorboardX does: tag `tag + "/text_summary"`
   * (not cleaned), a DT_STRING tensor of shape [1], plugin `text`.
   */
  addText(
    tag: string,
    text: string,
    step: number | bigint = 0,
    walltime?: number,
  ): void {
    this.#checkOpen();
    this.#summary(
      [{
        tag: `${tag}/text_summary`,
        tensor: {
          dtype: DataType.DT_STRING,
          tensorShape: { dim: [{ size: 1 }] },
          stringVal: [encoder.encode(text)],
        },
        metadata: {
          pluginData: { pluginName: "text", content: new Uint8Array(0) },
        },
      }],
      step,
      walltime,
    );
  }

  /**
   * Adds an image, encoded as PNG. `uint8` pixels are used as they are;
   * other dtypes are taken as 0..1 and scaled by 255 (truncated, then clamped
   * to 0..255, NaN as 0). The colorspace is the channel count (1, 2, 3 or 4).
   */
  addImage(
    tag: string,
    image: Tensor,
    step: number | bigint = 0,
    options: AddImageOptions = {},
  ): void {
    this.#checkOpen();
    const format = options.dataformats ?? "CHW";
    const shape = image.shape;
    if (shape.length !== format.length) {
      throw new RangeError(
        `Cannot add image "${tag}": shape [${shape}] does not match dataformats "${format}" (rank ${format.length})`,
      );
    }
    const [height, width, channels] = format === "HW"
      ? [shape[0], shape[1], 1]
      : format === "HWC"
      ? [shape[0], shape[1], shape[2]]
      : [shape[1], shape[2], shape[0]];
    if (channels < 1 || channels > 4) {
      throw new RangeError(
        `Cannot add image "${tag}": ${channels} channels, expected 1 to 4`,
      );
    }
    if (elementCount(shape) !== image.data.length) {
      throw new RangeError(
        `Cannot add image "${tag}": shape [${shape}] needs ${
          elementCount(shape)
        } elements, data has ${image.data.length}`,
      );
    }
    const src = image.dtype === "uint8"
      ? image.data as Uint8Array
      : toBytes(image);
    let hwc: Uint8Array = src;
    if (format === "CHW" && channels > 1) {
      hwc = new Uint8Array(src.length);
      const plane = height * width;
      for (let c = 0; c < channels; c++) {
        for (let i = 0; i < plane; i++) {
          hwc[i * channels + c] = src[c * plane + i];
        }
      }
    }
    const png = encodePng(hwc, width, height, channels);
    this.#summary(
      [{
        tag: cleanTag(tag),
        image: { height, width, colorspace: channels, encodedImageString: png },
        metadata: {
          pluginData: { pluginName: "images", content: new Uint8Array(0) },
        },
      }],
      step,
      options.walltime,
    );
  }

  /**
   * Records one hyperparameter trial as tensorboardX does: a new sub-run
   * `<logdir>/<name>/` holding the `_hparams_/experiment`,
   * `_hparams_/session_start_info` and `_hparams_/session_end_info`
   * summaries, then each metric as a scalar (tag cleaned) in that sub-run.
   * Strings, booleans and numbers map to STRING, BOOL and FLOAT64; `null`
   * values are skipped.
   *
   * @returns The sub-run folder.
   */
  addHparams(
    hparams: Record<string, HparamValue>,
    metrics: Record<string, number>,
    options: AddHparamsOptions = {},
  ): string {
    this.#checkOpen();
    const infos: HParamInfo[] = [];
    const values: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(hparams)) {
      if (v === null || v === undefined) continue;
      let type: number;
      if (typeof v === "string") type = HParamType.DATA_TYPE_STRING;
      else if (typeof v === "boolean") type = HParamType.DATA_TYPE_BOOL;
      else if (typeof v === "number") type = HParamType.DATA_TYPE_FLOAT64;
      else {throw new TypeError(
          `Cannot add hparams: "${k}" is a ${typeof v}, expected string, number, boolean or null`,
        );}
      values[k] = v;
      const info: HParamInfo = { name: k, type };
      const domain = options.domainDiscrete?.[k];
      if (domain !== undefined) info.domainDiscrete = domain;
      infos.push(info);
    }
    for (const [k, v] of Object.entries(metrics)) {
      if (typeof v !== "number") {
        throw new TypeError(
          `Cannot add hparams: metric "${k}" is not a number`,
        );
      }
    }
    let name = options.name;
    if (name === undefined) {
      name = String(now());
      while (this.#hparamRuns.has(name)) {
        name = String(now() + Math.random() * 1e-6);
      }
    }
    this.#hparamRuns.add(name);
    const dir = join(this.logdir, name);
    const sub = new SummaryWriter(dir, this.#options);
    try {
      const plugin = (tag: string, content: Uint8Array): SummaryValue[] => [{
        tag,
        metadata: { pluginData: { pluginName: "hparams", content } },
      }];
      const metricInfos = Object.keys(metrics).map((tag) => ({
        name: { tag },
      }));
      sub.#summary(
        plugin(
          "_hparams_/experiment",
          encodeHParamsPluginData({
            experiment: { hparamInfos: infos, metricInfos },
          }),
        ),
        0,
        undefined,
      );
      sub.#summary(
        plugin(
          "_hparams_/session_start_info",
          encodeHParamsPluginData({ sessionStartInfo: { hparams: values } }),
        ),
        0,
        undefined,
      );
      sub.#summary(
        plugin(
          "_hparams_/session_end_info",
          encodeHParamsPluginData({
            sessionEndInfo: { status: HParamsStatus.STATUS_SUCCESS },
          }),
        ),
        0,
        undefined,
      );
      for (const [k, v] of Object.entries(metrics)) {
        sub.addScalar(k, v, options.step ?? 0);
      }
    } finally {
      sub.close();
    }
    return dir;
  }

  /** Writes one event as given (for anything the `add*` methods do not cover). */
  addEvent(event: Event): void {
    this.#checkOpen();
    checkStep(event.step);
    checkWalltime(event.wallTime);
    this.#append(event);
  }

  /** Appends every buffered event to the file (synchronously), also for `addScalars` runs. */
  flush(): void {
    const w = this.#out;
    const file = this.#file;
    if (file !== undefined && w.pos > 0) {
      let done = 0;
      try {
        while (done < w.pos) {
          done += file.writeSync(w.buf.subarray(done, w.pos));
        }
      } finally {
        // Keep only what was not written, so that a retry continues exactly.
        if (done > 0) {
          w.buf.copyWithin(0, done, w.pos);
          w.pos -= done;
        }
      }
    }
    for (const child of this.#children.values()) child.flush();
  }

  /** Flushes and closes the file (and those of `addScalars` runs). Further `add*` calls throw; closing again does nothing. */
  close(): void {
    if (this.#file === undefined) return;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    try {
      this.flush();
    } finally {
      this.#file.close();
      this.#file = undefined;
      release(this);
      for (const child of this.#children.values()) child.close();
    }
  }

  /** Same as {@linkcode SummaryWriter.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

function isTensor(v: ArrayLike<number> | Tensor): v is Tensor {
  return typeof (v as Tensor).dtype === "string" &&
    Array.isArray((v as Tensor).shape);
}

function toBytes(image: Tensor): Uint8Array {
  const numbers = tensorNumbers(image);
  const out = new Uint8Array(numbers.length);
  const single = image.dtype === "float32" || image.dtype === "float16" ||
    image.dtype === "bfloat16";
  for (let i = 0; i < numbers.length; i++) {
    // numpy: (x * 255.0).astype(uint8), computed in float32 for float32 input.
    const scaled = Math.trunc(
      single ? Math.fround(numbers[i] * 255) : numbers[i] * 255,
    );
    out[i] = scaled > 255 ? 255 : scaled > 0 ? scaled : 0;
  }
  return out;
}

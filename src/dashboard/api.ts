/**
 * The dashboard's JSON API. Requests name runs by id and tables and series
 * by name; each is looked up in what {@linkcode Sweep} found, so no part of
 * a request ever becomes a path.
 *
 * - `GET /api/sweep?since=V&wait=MS`: columns, series, and the runs changed
 *   since version V (all runs without `since`), each with its metadata and
 *   the figures of every series. With `wait`, a long poll: when nothing
 *   changed since V, the answer waits (up to MS, at most 30 s) until
 *   something does, and is sent as soon as the changed run is read.
 *   `loading` is true while the server's first pass over the sweep is
 *   still reading runs; a poll with `loading=1` (its page last saw that)
 *   is answered as soon as the pass has ended.
 * - `POST /api/series` `{key, x, width, logX, runs: [[id, from], ...]}`:
 *   the points of series `key` of each run from point `from` on,
 *   downsampled to `width` pixel columns; binary (see {@linkcode encodeSeries}).
 * - `GET /api/run?id=`: one run's tables; `GET /api/run/table?id=&table=&offset=&limit=`:
 *   a page of a table as `cox show` prints it; `GET /api/run/events?id=`: its
 *   text summaries, images and histograms; `GET /api/run/image?id=&n=`: an image.
 *
 * @module
 */

import { pyStr } from "../python_str.ts";
import { renderFrame } from "../render.ts";
import type { Cell } from "../h5/frame_table.ts";
import type { Schema } from "../schema.ts";
import { type RunNamer, runNamer } from "../sweep/run_namer.ts";
import type { EventRecord } from "../tensorboard/read_events.ts";
import { downsampleIndexes } from "./downsample.ts";
import { type SeriesStats, seriesStats } from "./series.ts";
import {
  readRunEvents,
  type RunState,
  type Sweep,
  withRunStore,
} from "./sweep.ts";

/** How runs are named and filtered (as `cox tensorboard` does). */
export interface NamingOptions {
  /** `--format-str`; without it a run is named by its exp id. */
  formatStr?: string;
  /** `--filter-param NAME REGEX` pairs. */
  filters: [string, string][];
}

/** A series' key: `t:<table>/<column>` for a table column, `s:<tag>` for a scalar tag. */
export type SeriesKey = string;

/** A JSON body or an error status. */
export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), {
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

/** Metadata kinds across runs, as pandas concatenates them (int and float, or int missing somewhere: float). */
function metadataKinds(sweep: Sweep): Schema {
  const out: Schema = {};
  const withTable = [...sweep.runs.values()].filter((r) =>
    r.metadataSchema !== undefined
  );
  for (const run of withTable) {
    for (const [c, k] of Object.entries(run.metadataSchema!)) {
      const had = out[c];
      if (had === undefined) out[c] = k;
      else if (
        had !== k && (had === "int" || had === "float") &&
        (k === "int" || k === "float")
      ) out[c] = "float";
    }
  }
  for (const [c, k] of Object.entries(out)) {
    if (k === "int" && withTable.some((r) => !(c in r.metadataSchema!))) {
      out[c] = "float";
    }
  }
  return out;
}

/** A cell as JSON: numbers stay numbers (non-finite and bigint as text), the rest as Python's str(). */
function jsonCell(value: unknown, kind: string | undefined): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === "number") {
    return Number.isFinite(value) ? value : String(value);
  }
  if (typeof value === "bigint") {
    return Number.isSafeInteger(Number(value)) ? Number(value) : String(value);
  }
  if (typeof value === "boolean") return value;
  return pyStr(value, kind);
}

/** The API over one sweep. */
/** How old the data `/api/sweep` answers with may be before it waits for a pass over the sweep. */
const STALE_MS = 1500;
/** The longest a long poll of `/api/sweep` waits for a change. */
const MAX_WAIT_MS = 30_000;

export class Api {
  readonly sweep: Sweep;
  readonly naming: NamingOptions;
  #namer: { key: string; namer: RunNamer } | null = null;
  /** The last run whose events were read whole (for images). */
  #events: { id: string; version: number; events: EventRecord[] } | null = null;

  constructor(sweep: Sweep, naming: NamingOptions) {
    this.sweep = sweep;
    this.naming = naming;
  }

  /** Checks the format string and filters against the runs found (throws a CliError). */
  check(): void {
    this.#currentNamer();
  }

  #currentNamer(): RunNamer {
    const kinds = metadataKinds(this.sweep);
    const key = JSON.stringify(kinds);
    if (this.#namer?.key !== key) {
      this.#namer = {
        key,
        namer: runNamer(
          kinds,
          this.sweep.metadataTable,
          this.naming.formatStr ?? "",
          this.naming.filters,
        ),
      };
    }
    return this.#namer.namer;
  }

  /** Runs that pass `--filter-param` (all when none is given). */
  #visible(run: RunState, namer: RunNamer): boolean {
    if (this.naming.filters.length === 0) return true;
    if (run.metadata === undefined) return false;
    return namer.keep({ ...run.metadata, exp_id: run.id });
  }

  #name(run: RunState, namer: RunNamer): string {
    if (this.naming.formatStr === undefined || run.metadata === undefined) {
      return run.id;
    }
    return namer.name({ ...run.metadata, exp_id: run.id }, run.id).name;
  }

  #run(id: string | null): RunState {
    const run = id === null ? undefined : this.sweep.runs.get(id);
    if (run === undefined) throw new HttpError(404, "no such run");
    const namer = this.#currentNamer();
    if (!this.#visible(run, namer)) throw new HttpError(404, "no such run");
    return run;
  }

  /** When `/api/sweep` was last asked for (`performance.now()`): the server reads the sweep in the background while a page polls. */
  lastAskedAt = -Infinity;

  /** `GET /api/sweep`. */
  async sweepInfo(params: URLSearchParams): Promise<Response> {
    this.lastAskedAt = performance.now();
    const since = Number(params.get("since") ?? "-1");
    const wait = Math.min(
      MAX_WAIT_MS,
      Math.max(0, Number(params.get("wait")) || 0),
    );
    if (wait > 0 && Number.isFinite(since)) {
      // a long poll: the watch and the background passes bring changes in
      // `loading=1`: the page last saw the first pass under way, and is
      // answered at once if it ended in between
      await this.sweep.changed(
        since,
        wait,
        undefined,
        params.get("loading") === "1",
      );
      this.lastAskedAt = performance.now();
    } else {
      // the background pass keeps what is held fresh; wait only when it fell behind
      await this.sweep.upToDate(STALE_MS);
    }
    const namer = this.#currentNamer();
    const kinds = namer.kinds;
    const series = new Map<SeriesKey, { table?: string; xs: string[] }>();
    const runs = [];
    for (const run of this.sweep.runs.values()) {
      if (!this.#visible(run, namer)) continue;
      for (const [name, table] of run.tables) {
        if (name === this.sweep.metadataTable) continue;
        const ints = Object.entries(table.schema).filter(([, k]) => k === "int")
          .map(([c]) => c);
        for (const column of table.numeric.keys()) {
          const key = `t:${name}/${column}`;
          if (!series.has(key)) series.set(key, { table: name, xs: ints });
        }
      }
      for (const tag of run.tags.keys()) {
        const key = `s:${tag}`;
        if (!series.has(key)) {
          series.set(key, { xs: ["step", "wall", "relative"] });
        }
      }
      if (run.version <= since) continue;
      const stats = this.#statsOf(run);
      const meta: Record<string, unknown> = {};
      if (run.metadata !== undefined) {
        for (const c of Object.keys(kinds)) {
          meta[c] = jsonCell(run.metadata[c], kinds[c]);
        }
      }
      runs.push({
        id: run.id,
        name: this.#name(run, namer),
        version: run.version,
        broken: run.broken,
        meta: run.metadata === undefined ? null : meta,
        rows: Object.fromEntries([...run.tables].map(([n, t]) => [n, t.nrows])),
        stats,
      });
    }
    return json({
      version: this.sweep.version,
      loading: this.sweep.loading,
      metadataTable: this.sweep.metadataTable,
      columns: Object.entries(kinds).map(([name, kind]) => ({ name, kind })),
      series: [...series].map(([key, s]) => ({ key, xs: s.xs })),
      total: [...this.sweep.runs.values()].filter((r) =>
        this.#visible(r, namer)
      )
        .length,
      expected: this.sweep.expected,
      runs,
    });
  }

  /** Each run's figures, kept until the run changes (every page and poll asks for them). */
  #stats = new WeakMap<
    RunState,
    { version: number; stats: Record<SeriesKey, SeriesStats> }
  >();

  #statsOf(run: RunState): Record<SeriesKey, SeriesStats> {
    const held = this.#stats.get(run);
    if (held?.version === run.version) return held.stats;
    const stats: Record<SeriesKey, SeriesStats> = {};
    for (const [name, table] of run.tables) {
      if (name === this.sweep.metadataTable) continue;
      for (const [column, values] of table.numeric) {
        stats[`t:${name}/${column}`] = seriesStats(values.values);
      }
    }
    for (const [tag, s] of run.tags) {
      stats[`s:${tag}`] = seriesStats(s.y.values, s.x.step.values);
    }
    this.#stats.set(run, { version: run.version, stats });
    return stats;
  }

  /**
   * `POST /api/series`: `{key, x, width, logX, runs}`, or `{batch: [...]}`
   * of such requests answered at once (a page syncs every chart in view
   * with one request); each part of the answer names its request (`r`).
   */
  series(body: unknown): Response {
    const batch = (body as { batch?: unknown })?.batch;
    const requests = Array.isArray(batch) ? batch.slice(0, 256) : [body];
    const namer = this.#currentNamer();
    const parts: SeriesPart[] = [];
    let runsLeft = 20000;
    requests.forEach((req, r) => {
      runsLeft -= this.#seriesParts(req, r, namer, parts, runsLeft);
    });
    return new Response(
      encodeSeries(parts, Array.isArray(batch)) as Uint8Array<ArrayBuffer>,
      { headers: { "content-type": "application/octet-stream" } },
    );
  }

  /** The downsampled parts of one series request (request `r` of a batch); returns how many runs it named. */
  #seriesParts(
    body: unknown,
    r: number,
    namer: RunNamer,
    parts: SeriesPart[],
    runsLeft: number,
  ): number {
    const req = body as {
      key?: unknown;
      x?: unknown;
      width?: unknown;
      logX?: unknown;
      runs?: unknown;
    };
    if (typeof req?.key !== "string" || !Array.isArray(req.runs)) {
      throw new HttpError(400, "expected {key, runs: [[id, from], ...]}");
    }
    const width = Math.min(
      4096,
      Math.max(1, Math.floor(Number(req.width) || 800)),
    );
    const x = typeof req.x === "string" ? req.x : "index";
    const logX = req.logX === true;
    const entries = req.runs.slice(0, Math.max(0, runsLeft));
    for (const entry of entries) {
      if (!Array.isArray(entry) || typeof entry[0] !== "string") continue;
      const run = this.sweep.runs.get(entry[0]);
      if (run === undefined || !this.#visible(run, namer)) continue;
      const cols = seriesOf(run, req.key, x);
      if (cols === null) continue;
      const total = cols.y.length;
      const from = Math.min(
        total,
        Math.max(0, Math.floor(Number(entry[1]) || 0)),
      );
      const idx = downsampleIndexes(cols.x, cols.y, from, total, width, logX);
      parts.push({
        r,
        id: run.id,
        total,
        from,
        idx,
        xs: cols.x,
        ys: cols.y,
        shift: cols.shift,
      });
    }
    return entries.length;
  }

  /** `GET /api/run?id=`. */
  async runInfo(params: URLSearchParams): Promise<Response> {
    const run = this.#run(params.get("id"));
    const namer = this.#currentNamer();
    const tables = run.storeStamp.startsWith("-|") ? [] : await withRunStore(
      this.sweep,
      run,
      (store) =>
        [...store.tables].map(([name, t]) => ({
          name,
          nrows: t.nrows,
          columns: Object.entries(t.schema).map(([c, k]) => ({
            name: c,
            kind: k,
          })),
        })),
    );
    return json({
      id: run.id,
      name: this.#name(run, namer),
      broken: run.broken,
      tables,
      tags: [...run.tags.keys()],
    });
  }

  /** `GET /api/run/table?id=&table=&offset=&limit=`: rows as `cox show` prints them. */
  async runTable(params: URLSearchParams): Promise<Response> {
    const run = this.#run(params.get("id"));
    const name = params.get("table") ?? "";
    const offset = Math.max(0, Math.floor(Number(params.get("offset")) || 0));
    const limit = Math.min(
      500,
      Math.max(1, Math.floor(Number(params.get("limit")) || 50)),
    );
    const out = await withRunStore(this.sweep, run, (store) => {
      const table = store.tables.get(name);
      if (table === undefined) throw new HttpError(404, "no such table");
      const columns = table.columns() as Record<string, Cell[]>;
      const page: Record<string, Cell[]> = {};
      for (const [c, values] of Object.entries(columns)) {
        page[c] = values.slice(offset, offset + limit);
      }
      return {
        nrows: table.nrows,
        offset,
        text: renderFrame(table.schema, page, offset),
      };
    });
    return json(out);
  }

  #allEvents(run: RunState): EventRecord[] {
    if (this.#events?.id !== run.id || this.#events.version !== run.version) {
      this.#events = {
        id: run.id,
        version: run.version,
        events: readRunEvents(this.sweep, run),
      };
    }
    return this.#events.events;
  }

  /** `GET /api/run/events?id=`: text summaries, images (as indexes) and histograms. */
  runEvents(params: URLSearchParams): Response {
    const run = this.#run(params.get("id"));
    const texts: { tag: string; step: number; text: string }[] = [];
    const images: {
      tag: string;
      step: number;
      n: number;
      width: number;
      height: number;
    }[] = [];
    const histograms = new Map<
      string,
      {
        step: number;
        min: number;
        max: number;
        limits: number[];
        counts: number[];
      }[]
    >();
    let n = 0;
    for (const e of this.#allEvents(run)) {
      for (const v of e.summary ?? []) {
        const step = Number(e.step);
        if (v.text !== undefined && texts.length < 2000) {
          texts.push({ tag: v.tag, step, text: v.text.slice(0, 100_000) });
        }
        if (v.image !== undefined) {
          if (images.length < 500) {
            images.push({
              tag: v.tag,
              step,
              n,
              width: v.image.width,
              height: v.image.height,
            });
          }
          n++;
        }
        if (v.histogram !== undefined) {
          const list = histograms.get(v.tag) ?? [];
          histograms.set(v.tag, list);
          if (list.length < 1000) {
            const h = v.histogram;
            list.push({
              step,
              min: h.min,
              max: h.max,
              limits: h.bucketLimit.map(finiteOr),
              counts: h.bucket,
            });
          }
        }
      }
    }
    return json({
      texts,
      images,
      histograms: [...histograms].map(([tag, steps]) => ({ tag, steps })),
    });
  }

  /** `GET /api/run/image?id=&n=`: the n-th image of the run's events, as stored (PNG). */
  runImage(params: URLSearchParams): Response {
    const run = this.#run(params.get("id"));
    const want = Math.floor(Number(params.get("n")));
    let n = 0;
    for (const e of this.#allEvents(run)) {
      for (const v of e.summary ?? []) {
        if (v.image === undefined) continue;
        if (n++ !== want) continue;
        const png = v.image.encoded;
        const isPng = png.length > 8 && png[0] === 0x89 && png[1] === 0x50 &&
          png[2] === 0x4e && png[3] === 0x47;
        if (!isPng) throw new HttpError(415, "not a PNG image");
        return new Response(png.slice() as Uint8Array<ArrayBuffer>, {
          headers: { "content-type": "image/png" },
        });
      }
    }
    throw new HttpError(404, "no such image");
  }
}

function finiteOr(v: number): number {
  return Number.isFinite(v) ? v : Number.MAX_VALUE * Math.sign(v);
}

/** A series' y and x arrays of one run, or null when the run lacks it. */
function seriesOf(
  run: RunState,
  key: string,
  x: string,
): { x: ArrayLike<number>; y: Float64Array; shift: number } | null {
  if (key.startsWith("t:")) {
    const slash = key.indexOf("/", 2);
    if (slash < 0) return null;
    const table = run.tables.get(key.slice(2, slash));
    const y = table?.numeric.get(key.slice(slash + 1));
    if (table === undefined || y === undefined) return null;
    const values = y.values;
    const column = x === "index" ? undefined : table.numeric.get(x);
    if (column !== undefined && table.schema[x] === "int") {
      return { x: column.values, y: values, shift: 0 };
    }
    return { x: indexes(values.length), y: values, shift: 0 };
  }
  if (key.startsWith("s:")) {
    const s = run.tags.get(key.slice(2));
    if (s === undefined) return null;
    const y = s.y.values;
    if (x === "wall") return { x: s.x.wall.values, y, shift: 0 };
    if (x === "relative") {
      return { x: s.x.wall.values, y, shift: run.firstWall };
    }
    if (x === "index") return { x: indexes(y.length), y, shift: 0 };
    return { x: s.x.step.values, y, shift: 0 };
  }
  return null;
}

let indexCache = new Float64Array(0);
function indexes(n: number): Float64Array {
  if (indexCache.length < n) {
    indexCache = new Float64Array(Math.max(n, indexCache.length * 2));
    for (let i = 0; i < indexCache.length; i++) indexCache[i] = i;
  }
  return indexCache.subarray(0, n);
}

/** One run's points in an answer of `/api/series`. */
export interface SeriesPart {
  /** Which request of a batch it answers. */
  r: number;
  id: string;
  total: number;
  from: number;
  /** Indexes of the points kept. */
  idx: Uint32Array;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  /** Subtracted from each x (relative time). */
  shift: number;
}

/**
 * The binary answer of `/api/series`: a little-endian u32 byte length, that
 * many bytes of JSON (`[{id, total, from, n}, ...]`, with `r`, the request's
 * place, for a batch), padding to 8 bytes, then per run `n` float64 x values
 * followed by `n` float64 y values (NaN for a missing value).
 */
export function encodeSeries(
  parts: SeriesPart[],
  batch = false,
): Uint8Array {
  const head = new TextEncoder().encode(JSON.stringify(
    parts.map((p) =>
      batch
        ? { r: p.r, id: p.id, total: p.total, from: p.from, n: p.idx.length }
        : { id: p.id, total: p.total, from: p.from, n: p.idx.length }
    ),
  ));
  const start = Math.ceil((4 + head.length) / 8) * 8;
  const points = parts.reduce((n, p) => n + p.idx.length, 0);
  const out = new Uint8Array(start + points * 16);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 4);
  const f = new Float64Array(out.buffer, start, points * 2);
  let at = 0;
  for (const p of parts) {
    gather(f, at, p.xs, p.idx, p.shift);
    at += p.idx.length;
    gather(f, at, p.ys, p.idx, 0);
    at += p.idx.length;
  }
  return out;
}

/** `out[at + i] = values[idx[i]] - shift`: one small loop V8 optimizes on its own. */
function gather(
  out: Float64Array,
  at: number,
  values: ArrayLike<number>,
  idx: Uint32Array,
  shift: number,
): void {
  for (let i = 0; i < idx.length; i++) out[at + i] = values[idx[i]] - shift;
}

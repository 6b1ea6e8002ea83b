/**
 * The dashboard's only access to the sweep: which runs there are, their
 * metadata, their tables' numeric columns and their TensorBoard scalars,
 * kept in memory and brought up to date by {@linkcode Sweep.refresh}, which
 * reads only what changed: a run whose `store.h5` and journal have the same
 * size and modification time is not opened again, and an event file is read
 * from the byte offset reached last time. Everything is read-only (stores
 * opened with `mode: "r"`, which takes no lock and writes nothing).
 *
 * Table rows are read with the fast reader, from the row count already held
 * to the end (`store_rows.ts`), and appended ({@linkcode RunState.applyTable});
 * a run that reader declines (a journal with rows, an undo log, object
 * cells in the metadata, a file only h5wasm reads) goes through `Store.open`
 * read-only, which reads a changed table whole.
 *
 * @module
 */

import { join } from "../path.ts";
import { stampText } from "../file_stamp.ts";
import {
  JOURNAL_SUFFIX,
  STORE_BASENAME,
  TENSORBOARD_DIR,
} from "../run/run_files.ts";
import type { Store } from "../run/store.ts";
import { firstRow } from "../sweep/decoded_run.ts";
import {
  type EventRecord,
  isEventFileName,
  readEvents,
} from "../tensorboard/read_events.ts";
import type { Schema } from "../schema.ts";
import { newScalarColumns, readScalars } from "./scalars.ts";
import { type FolderWatch, watchFolder } from "./watch.ts";
import { Growable, type SeriesColumns } from "./series.ts";
import { readNewRows } from "./store_rows.ts";

/** A table of one run as the dashboard holds it. */
export interface TableState {
  schema: Schema;
  nrows: number;
  /** int and float columns (bools as 0/1), by name. */
  numeric: Map<string, Growable>;
}

/** An event file read so far. */
interface EventFileState {
  /** Byte offset reached (the next read starts there). */
  offset: number;
  /** Size and mtime at the last read, to skip unchanged files. */
  stamp: string;
  /** Set when the file could not be read past `offset` (shown, retried when it changes). */
  error?: string;
  /** Whether it is a link (followed only when it stays inside the run). */
  link: boolean;
}

/** What the dashboard knows of one run. */
export class RunState {
  /** The run's folder name (its exp id). */
  readonly id: string;
  /** Bumped at each change; clients ask for runs changed since a version. */
  version = 0;
  /** Why the run cannot be read (fully), or null. */
  broken: string | null = null;
  /** The metadata table's first row (OBJECT/PICKLE cells decoded), or undefined. */
  metadata: Record<string, unknown> | undefined;
  /** Its schema, when it has a metadata table. */
  metadataSchema: Schema | undefined;
  readonly tables = new Map<string, TableState>();
  /** TensorBoard scalar tags: values with `step` and `wall` x columns. */
  readonly tags = new Map<string, SeriesColumns>();
  /** The store's stamp (size and mtime of store.h5 and its journal) at the last read. */
  storeStamp = "";
  readonly eventFiles = new Map<string, EventFileState>();
  /** The tensorboard/ folder's stamp when it was last listed. */
  tensorboardStamp = "";
  /** First wall time seen, for relative time. */
  firstWall = NaN;

  constructor(id: string) {
    this.id = id;
  }

  /**
   * Takes a table's columns as read, holding rows `[start, nrows)` (all rows
   * by default); only rows past those held are appended.
   */
  applyTable(
    name: string,
    schema: Schema,
    columns: Record<string, ArrayLike<unknown>>,
    nrows: number,
    start = 0,
  ): boolean {
    let state = this.tables.get(name);
    if (
      state !== undefined &&
      (nrows < state.nrows || !sameSchema(state.schema, schema))
    ) {
      state = undefined; // rewritten: start again
    }
    if (state === undefined) {
      state = { schema, nrows: 0, numeric: new Map() };
      for (const [column, kind] of Object.entries(schema)) {
        if (kind === "int" || kind === "float" || kind === "bool") {
          const cells = columns[column];
          // numbers of every row, made for this: kept as they are
          const whole = start === 0 && cells instanceof Float64Array &&
            cells.length === nrows;
          state.numeric.set(
            column,
            whole ? Growable.adopt(cells) : new Growable(Math.max(16, nrows)),
          );
        }
      }
      this.tables.set(name, state);
    } else if (nrows === state.nrows) return false;
    if (start > state.nrows) {
      throw new RangeError(
        `Cannot take rows from ${start} of table "${name}" of run ${this.id}: only ${state.nrows} are held`,
      );
    }
    for (const [column, values] of state.numeric) {
      if (values.length === nrows) continue; // adopted above
      const cells = columns[column];
      if (cells instanceof Float64Array) {
        values.append(cells.subarray(state.nrows - start, nrows - start));
        continue;
      }
      for (let r = state.nrows; r < nrows; r++) {
        values.push(Number(cells[r - start]));
      }
    }
    state.nrows = nrows;
    return true;
  }
}

function sameSchema(a: Schema, b: Schema): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function stampOf(path: string): string {
  try {
    return stampText(Deno.statSync(path));
  } catch {
    return "-";
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Whether `path`, with links followed, lies inside folder `root` (links followed too). */
function inside(root: string, path: string): boolean {
  try {
    const base = Deno.realPathSync(root);
    const real = Deno.realPathSync(path);
    return real === base ||
      real.startsWith(base.endsWith("/") ? base : `${base}/`);
  } catch {
    return false;
  }
}

/** How long a pass reads before it lets requests be answered. */
const PASS_SLICE_MS = 25;
/** The longest a pass waits for requests being answered, at each slice. */
const MAX_DEFER_MS = 25;
/** How long after a file changes its run is read: a writer's flush touches several files. */
const WATCH_SETTLE_MS = 5;

/** Options of {@linkcode Sweep}. */
export interface SweepOptions {
  /** The table of hyperparameters (default `metadata`). */
  metadataTable?: string;
}

/** The runs under one folder, as the dashboard shows them. */
export class Sweep {
  /** The folder given. */
  readonly dir: string;
  /** Its real path: nothing outside it is read. */
  readonly root: string;
  readonly metadataTable: string;
  /** Runs by id, in id order. */
  readonly runs = new Map<string, RunState>();
  /** Highest version of any run. */
  version = 0;
  /** Requests being answered (set by the server): a pass lets them go first. */
  answering = 0;
  /** Run folders the last pass found (read or still to be read): pages size charts by it. */
  expected = 0;
  /** Whether the first pass over the sweep is still under way. */
  loading = true;
  /** Settles when the first pass has finished. */
  readonly loaded: Promise<void>;
  #loaded = Promise.withResolvers<void>();
  #refreshing: Promise<void> | null = null;
  /** When the last finished pass started (`performance.now()`), or -Infinity. */
  #readAt = -Infinity;
  /** Callers of {@linkcode Sweep.changed} waiting for a version. */
  #waiters = new Set<() => void>();
  /** The read of each run under way, so that two reads of a run never overlap. */
  #busy = new Map<string, Promise<void>>();
  #watcher: FolderWatch | null = null;
  /** The run listings a pass's store reads made, for its event reads (only a pass reads a store alone). */
  #passListings = new Map<string, Listing>();
  #closed = false;
  /** Entries of the sweep folder that are links (followed only when they stay inside it). */
  #links = new Set<string>();

  constructor(dir: string, options: SweepOptions = {}) {
    this.dir = dir;
    this.root = Deno.realPathSync(dir);
    this.metadataTable = options.metadataTable ?? "metadata";
    this.loaded = this.#loaded.promise;
  }

  /**
   * Finds new runs and reads what changed in every run. Concurrent calls
   * share one pass. Never throws: a run that cannot be read is marked broken.
   * `onProgress` is called each time the pass lets other work run (every
   * 50 ms or so of reading) and at its end.
   */
  refresh(onProgress?: () => void): Promise<void> {
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = null;
    });
    if (onProgress !== undefined) this.#progress.add(onProgress);
    return this.#refreshing;
  }

  #progress = new Set<() => void>();

  /**
   * What is held, brought up to date first only when the last finished pass
   * started more than `maxAgeMs` ago (or a pass is needed and none is under
   * way): requests answer from memory while a background pass keeps it
   * fresh. During the first pass it does not wait: what has been read so far
   * is shown, and the rest arrives through {@linkcode Sweep.changed}.
   */
  async upToDate(maxAgeMs: number): Promise<void> {
    if (this.loading) return;
    if (performance.now() - this.#readAt > maxAgeMs) await this.refresh();
  }

  /**
   * Settles with true as soon as the sweep's version exceeds `since`
   * (at once if it already does), or with false after `timeoutMs`, on
   * `signal`'s abort, or when the sweep is closed. A caller that last saw
   * the first pass under way (`sawLoading`) is answered as soon as it has
   * ended, even when it ended before this call.
   */
  changed(
    since: number,
    timeoutMs: number,
    signal?: AbortSignal,
    sawLoading = false,
  ): Promise<boolean> {
    if (this.version > since) return Promise.resolve(true);
    if (sawLoading && !this.loading) return Promise.resolve(false);
    if (this.#closed || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        signal?.removeEventListener("abort", done);
        resolve(this.version > since);
      };
      // told of every read; answers once something changed, or the first
      // pass ended (the answer says so)
      const loading = this.loading;
      const check = () => {
        if (
          this.version > since || this.#closed || (loading && !this.loading)
        ) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#waiters.add(check);
      signal?.addEventListener("abort", done);
    });
  }

  /** How many callers wait in {@linkcode Sweep.changed}. */
  get waiting(): number {
    return this.#waiters.size;
  }

  #notify(): void {
    if (this.#waiters.size === 0) return;
    for (const w of [...this.#waiters]) w();
  }

  /**
   * Watches the sweep's folder (recursively, see `watch.ts`) and reads a run
   * again as soon as a file in it changes, a few milliseconds after the
   * writer's last change. Settles with false when the platform cannot watch
   * it (the caller's periodic passes are then the only way changes are
   * seen). The watch is set up off this thread: a pass goes on meanwhile.
   */
  watch(): Promise<boolean> {
    if (this.#watcher !== null) return this.#watcher.ready;
    const root = this.root.endsWith("/") ? this.root : `${this.root}/`;
    const pending = new Set<string>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      timer = undefined;
      const names = [...pending];
      pending.clear();
      if (!this.#closed) this.refreshRuns(names);
    };
    this.#watcher = watchFolder(this.root, (paths) => {
      for (const path of paths) {
        if (!path.startsWith(root)) continue;
        const name = path.slice(root.length).split("/")[0];
        if (name !== "") pending.add(name);
      }
      if (pending.size > 0 && timer === undefined) {
        timer = setTimeout(flush, WATCH_SETTLE_MS);
      }
    });
    return this.#watcher.ready;
  }

  /** Stops watching and lets every waiting {@linkcode Sweep.changed} settle. */
  close(): void {
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = null;
    this.#notify();
  }

  /**
   * Reads the runs named (folder names) again now, whatever pass is under
   * way: a run folder not seen before is added. Waiters learn of a change
   * as soon as these runs are read.
   */
  async refreshRuns(names: Iterable<string>): Promise<void> {
    let added = false;
    const all = new Set(this.#folderNames());
    for (const name of names) {
      if (!all.has(name)) continue; // gone, a file, or a snapshot folder
      if (!this.runs.has(name)) added = true;
      await this.#readRun(name);
    }
    if (added) this.#sortRuns();
    this.#notify();
  }

  async #refresh(): Promise<void> {
    const startedAt = performance.now();
    try {
      await this.#pass();
    } finally {
      this.#readAt = startedAt;
      if (this.loading) {
        this.loading = false;
        this.#loaded.resolve();
      }
      this.#notify();
      for (const f of this.#progress) f();
      this.#progress.clear();
    }
  }

  /** The sweep folder's sub-folders that may be runs (snapshot copies of a run left out), sorted. */
  #folderNames(): string[] {
    let names: string[];
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(this.dir)].filter((e) =>
        e.isDirectory || e.isSymlink
      );
      names = entries.map((e) => e.name);
    } catch {
      return []; // the folder itself went away: keep what is shown
    }
    const all = new Set(names);
    this.#links = new Set(
      [...entries].filter((e) => e.isSymlink).map((e) => e.name),
    );
    return names.filter((n) =>
      !(n.endsWith("_snapshot") && all.has(n.slice(0, -"_snapshot".length)))
    ).sort();
  }

  /**
   * Reads every run's store, then every run's event files: the runs table
   * (metadata and the tables' figures) is whole after the first half, and
   * the pages show it while the scalars are read.
   */
  async #pass(): Promise<void> {
    try {
      await this.#passOver();
    } finally {
      this.#passListings.clear();
    }
  }

  async #passOver(): Promise<void> {
    const names = this.#folderNames();
    this.expected = names.length;
    let yielded = performance.now();
    for (const part of ["store", "events"] as const) {
      for (const name of names) {
        if (this.#closed) return;
        await this.#readRun(name, part);
        // let the server answer requests (and show what is read) during a
        // long pass: requests under way go first, for a while
        if (performance.now() - yielded > PASS_SLICE_MS) {
          this.#notify();
          for (const f of this.#progress) f();
          const until = performance.now() + MAX_DEFER_MS;
          do {
            await new Promise((r) => setTimeout(r, 0));
          } while (this.answering > 0 && performance.now() < until);
          yielded = performance.now();
        }
      }
      if (part === "store") this.#sortRuns();
    }
    this.#sortRuns();
  }

  /** Keeps the map in id order when runs appear. */
  #sortRuns(): void {
    if (this.runs.size === 0) return;
    let prev = "";
    let sorted = true;
    for (const k of this.runs.keys()) {
      if (k < prev) {
        sorted = false;
        break;
      }
      prev = k;
    }
    if (sorted) return;
    const all = [...this.runs].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    this.runs.clear();
    for (const [k, v] of all) this.runs.set(k, v);
  }

  /** Reads one run folder, its store, its event files or both (after any read of it under way). */
  #readRun(
    name: string,
    part: "store" | "events" | "both" = "both",
  ): Promise<void> {
    const before = this.#busy.get(name);
    const next = before === undefined
      ? this.#readRunNow(name, part)
      : before.then(() => this.#readRunNow(name, part));
    this.#busy.set(name, next);
    return next.finally(() => {
      if (this.#busy.get(name) === next) this.#busy.delete(name);
    });
  }

  async #readRunNow(
    name: string,
    part: "store" | "events" | "both",
  ): Promise<void> {
    const path = join(this.dir, name);
    // one listing says which of the run's files there are (a stat of a
    // missing file throws, and throwing costs ten times a listing)
    // (a pass reads a run's event files soon after its store: that read's
    // listing serves both)
    const held = part === "events" ? this.#passListings.get(name) : undefined;
    this.#passListings.delete(name);
    const files = held ?? listing(path);
    if (files === null) return; // gone: keep what is shown
    if (part === "store") this.#passListings.set(name, files);
    if (!this.runs.has(name)) {
      if (!files.has(STORE_BASENAME) && !files.has(TENSORBOARD_DIR)) return;
      this.runs.set(name, new RunState(name));
    }
    const run = this.runs.get(name)!;
    const before = run.version;
    try {
      if (this.#links.has(name) && !inside(this.root, path)) {
        this.#mark(run, "the run folder links outside the sweep");
      } else {
        if (part !== "events") await this.#readStore(run, path, files);
        if (part !== "store") this.#readEventFiles(run, path, files);
      }
    } catch (error) {
      this.#mark(run, message(error));
    }
    if (run.version !== before) run.version = ++this.version;
  }

  #mark(run: RunState, why: string): void {
    if (run.broken === why) return;
    run.broken = why;
    run.version++;
  }

  async #readStore(
    run: RunState,
    path: string,
    files: Listing,
  ): Promise<void> {
    const storePath = join(path, STORE_BASENAME);
    const journal = `${STORE_BASENAME}${JOURNAL_SUFFIX}`;
    const stamp = `${files.has(STORE_BASENAME) ? stampOf(storePath) : "-"}|${
      files.has(journal) ? stampOf(join(path, journal)) : "-"
    }`;
    if (stamp === run.storeStamp) return;
    run.storeStamp = stamp;
    if (stamp.startsWith("-|")) return; // no store.h5 (yet)
    if (files.get(STORE_BASENAME)!.isSymlink && !inside(path, storePath)) {
      throw new Error(`${STORE_BASENAME} links outside the run`);
    }
    const changed = readNewStoreRows(path, run, this.metadataTable, files) ??
      await readStoreTables(this.dir, run, this.metadataTable);
    if (run.broken !== null) run.broken = null;
    if (changed) run.version++;
  }

  #readEventFiles(run: RunState, path: string, files: Listing): void {
    const entry = files.get(TENSORBOARD_DIR);
    if (entry === undefined) return; // no tensorboard/ folder
    const dir = join(path, TENSORBOARD_DIR);
    if (entry.isSymlink && !inside(path, dir)) {
      throw new Error(`${TENSORBOARD_DIR}/ links outside the run`);
    }
    const dirStamp = stampOf(dir);
    if (dirStamp === "-") return;
    // a new file changes the folder's mtime: list it only then
    if (dirStamp !== run.tensorboardStamp) {
      const found = listing(dir);
      if (found === null) return;
      run.tensorboardStamp = dirStamp;
      const names = [...found.values()].filter((e) =>
        (e.isFile || e.isSymlink) && isEventFileName(e.name)
      ).map((e) => e.name).sort();
      for (const name of names) {
        const file = join(dir, name);
        if (!run.eventFiles.has(file)) {
          run.eventFiles.set(file, {
            offset: 0,
            stamp: "",
            link: found.get(name)!.isSymlink,
          });
        }
      }
    }
    const stamps = new Map<string, string>();
    for (const [file, state] of run.eventFiles) {
      const stamp = stampOf(file);
      if (stamp !== state.stamp) stamps.set(file, stamp);
    }
    if (stamps.size === 0) return;
    const shrank = [...stamps].some(([file, stamp]) =>
      Number(stamp.split(":")[0]) < run.eventFiles.get(file)!.offset
    );
    if (shrank) {
      // a file replaced by a shorter one: read every file again
      run.tags.clear();
      run.firstWall = NaN;
      for (const [file, state] of run.eventFiles) {
        state.offset = 0;
        stamps.set(file, stamps.get(file) ?? state.stamp);
      }
      run.version++;
    }
    const sink = (tag: string) => {
      let s = run.tags.get(tag);
      if (s === undefined) {
        s = newScalarColumns();
        run.tags.set(tag, s);
      }
      return s;
    };
    for (const [file, stamp] of stamps) {
      const state = run.eventFiles.get(file)!;
      state.stamp = stamp;
      if (stamp === "-") continue; // gone
      if (state.link && !inside(dir, file)) {
        state.error = `${file.slice(path.length + 1)} links outside the run`;
        run.broken = state.error;
        run.version++;
        continue;
      }
      try {
        const read = readScalars(file, state.offset, sink);
        state.offset = read.end;
        delete state.error;
        if (read.values > 0) {
          if (!(read.firstWall >= run.firstWall)) {
            run.firstWall = read.firstWall;
          }
          run.version++;
        }
      } catch (error) {
        state.error = message(error);
        run.broken = `${file.slice(path.length + 1)}: ${state.error}`;
        run.version++;
      }
    }
  }
}

/** A folder's entries by name. */
type Listing = Map<string, Deno.DirEntry>;

/** The entries of folder `path`, or null when it cannot be listed (gone, not a folder). */
function listing(path: string): Listing | null {
  try {
    const out: Listing = new Map();
    for (const e of Deno.readDirSync(path)) out.set(e.name, e);
    return out;
  } catch {
    return null;
  }
}

/**
 * Takes the rows of a run's tables past those held, through the fast reader
 * (see `store_rows.ts`). Returns whether anything changed, or null when the
 * run must be read through `Store.open` (`readStoreTables`).
 */
function readNewStoreRows(
  path: string,
  run: RunState,
  metadataTable: string,
  files: ReadonlyMap<string, unknown>,
): boolean | null {
  const read = readNewRows(path, run.tables, metadataTable, files);
  if (read === null) return null;
  let changed = false;
  for (const [name, rows] of read) {
    if (name === metadataTable && rows.start === 0) {
      run.metadata = undefined;
      if (rows.nrows > 0) {
        run.metadata = {};
        for (const [column, cells] of Object.entries(rows.columns)) {
          run.metadata[column] = cells[0];
        }
      }
      run.metadataSchema = { ...rows.schema };
    }
    if (
      run.applyTable(name, rows.schema, rows.columns, rows.nrows, rows.start)
    ) changed = true;
  }
  return changed;
}

/**
 * Opens a run read-only and takes its tables: the metadata row, and the
 * numeric columns' rows past those already held. Returns whether anything
 * changed.
 */
async function readStoreTables(
  dir: string,
  run: RunState,
  metadataTable: string,
): Promise<boolean> {
  using store = await openStore(dir, run.id);
  let changed = false;
  for (const [name, table] of store.tables) {
    const held = run.tables.get(name);
    const nrows = table.nrows;
    if (held !== undefined && held.nrows === nrows) continue;
    if (name === metadataTable) {
      run.metadata = firstRow(table);
      run.metadataSchema = { ...table.schema };
    }
    const numeric = Object.entries(table.schema).some(([, k]) =>
      k === "int" || k === "float" || k === "bool"
    );
    const columns = numeric || name === metadataTable
      ? table.columns() as Record<string, ArrayLike<unknown>>
      : {};
    if (run.applyTable(name, { ...table.schema }, columns, nrows)) {
      changed = true;
    }
  }
  return changed;
}

/**
 * `Store.open(dir, id, { mode: "r" })`, with the store's module loaded on
 * first use: most sweeps are read by the fast path alone, and a server that
 * never needs `Store` starts without the writer's modules.
 */
async function openStore(dir: string, id: string): Promise<Store> {
  const { Store } = await import("../run/store.ts");
  return await Store.open(dir, id, { mode: "r" });
}

/** A request for something that lies outside the sweep (through a link). */
export class OutsideSweepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OutsideSweepError";
  }
}

/** One run's tables, for the one-run view: opened read-only each time. */
export async function withRunStore<T>(
  sweep: Sweep,
  run: RunState,
  f: (store: Store) => T,
): Promise<T> {
  const path = join(sweep.dir, run.id);
  if (!inside(sweep.root, path) || !inside(path, join(path, STORE_BASENAME))) {
    throw new OutsideSweepError("the run's store lies outside the sweep");
  }
  using store = await openStore(sweep.dir, run.id);
  return f(store);
}

/** Every event of a run (for the one-run view), read on demand; event files linking out are left out. */
export function readRunEvents(sweep: Sweep, run: RunState): EventRecord[] {
  const path = join(sweep.dir, run.id);
  const dir = join(path, TENSORBOARD_DIR);
  if (!inside(sweep.root, path) || !inside(path, dir)) return [];
  const out: EventRecord[] = [];
  for (const file of [...run.eventFiles.keys()].sort()) {
    if (!inside(path, file)) continue;
    try {
      for (const e of readEvents(file).events) out.push(e);
    } catch {
      // shown as broken in the runs table already
    }
  }
  return out;
}

/**
 * Reading tables from `store.h5` the fast way: the pure-TypeScript reader of
 * `fast/` first, h5wasm for a file it does not handle (a filter it lacks, a
 * structure outside the subset pandas and h5wasm write), with the same
 * results either way (both describe tables with `describeFrameTable` and
 * decode rows with `decodeRows`). h5wasm is loaded only when a file needs
 * it. See `docs/reading.md`.
 *
 * @module
 */

import { AttributeReader } from "./attributes.ts";
import {
  type Cell,
  decodeRows,
  describeFrameTable,
  exists,
  findTables,
  type FoundObject,
  type FrameTable,
  MAX_GROUPS_VISITED,
  readColumns,
  type StoredKind,
  type TableSource,
} from "./frame_table.ts";
import { FastFile, forgetAttributes } from "./fast/fast_file.ts";
import { H5Damaged, H5External, H5Unsupported } from "./fast/source.ts";
import { type H5File, h5Loaded, loadH5, readRows } from "./h5wasm.ts";
import { warn } from "../warn.ts";
import {
  readWorkerReady,
  readWorkerUsable,
  withReadWorker,
} from "./isolated/client.ts";
import {
  checkHdf5,
  checkNoEscape,
  externalError,
  StoreFileError,
  withHdf5,
} from "./store_file.ts";

/** A store file open for reading tables, whichever reader serves it. */
export interface TableFile {
  /** The file's path. */
  readonly filename: string;
  /** Which reader serves it. */
  readonly reader: "fast" | "h5wasm";
  /** The names under the root group, in name order. */
  keys(): string[];
  /** Whether an object is at `path`. */
  has(path: string): boolean;
  /** The pandas tables at any depth (see `findTables`). */
  findTables(): FoundObject[];
  /** The attributes of the object at `path`. */
  attributes(path: string): AttributeReader;
  /** Describes the frame_table `key` (see `describeFrameTable`). */
  describe(
    key: string,
    known?: Readonly<Record<string, StoredKind>>,
  ): FrameTable;
  /** Rows `[start, start + count)` as one array of cells per column. */
  readColumns(table: FrameTable, start?: number, count?: number): Cell[][];
  /**
   * Rows `[start, start + count)` as the table stores them (see
   * `decodeColumn`), valid until the next `readRaw` (the fast reader reuses
   * one buffer: a fresh one per run cost more than decoding its rows).
   */
  readRaw(table: FrameTable, start?: number, count?: number): Uint8Array;
}

/** The buffer raw rows are read into (kept up to MAX_SCRATCH bytes). */
let scratch = new Uint8Array(64 * 1024);
const MAX_SCRATCH = 8 << 20;

class FastTableFile implements TableFile, TableSource {
  readonly reader = "fast";
  readonly #file: FastFile;

  constructor(file: FastFile) {
    this.#file = file;
  }

  get filename(): string {
    return this.#file.filename;
  }

  get readOnlySize(): number {
    return this.#file.size;
  }

  keys(): string[] {
    return this.#file.keys("/");
  }

  has(path: string): boolean {
    const at = path.lastIndexOf("/");
    try {
      return this.#file.keys(path.slice(0, at) || "/").includes(
        path.slice(at + 1),
      );
    } catch {
      return false;
    }
  }

  findTables(): FoundObject[] {
    // the same walk as findTables over h5wasm, bounded the same way
    const found: FoundObject[] = [];
    const queue = ["/"];
    for (let visited = 0; queue.length > 0; visited++) {
      if (visited >= MAX_GROUPS_VISITED) {
        throw new RangeError(
          `Cannot list the tables of ${this.filename}: it has more than ${MAX_GROUPS_VISITED} groups`,
        );
      }
      const path = queue.shift()!;
      let names: string[];
      try {
        names = this.#file.keys(path);
      } catch (error) {
        if (error instanceof H5Unsupported) throw error;
        continue; // not a group
      }
      for (const name of names) {
        const child = path === "/" ? `/${name}` : `${path}/${name}`;
        if (this.#file.dataset(child) !== null) continue;
        let attrs: string[];
        try {
          attrs = this.names(child);
        } catch (error) {
          if (error instanceof H5Unsupported) throw error;
          continue; // a dangling link
        }
        if (attrs.includes("COX_DATA")) {
          found.push({ key: child.slice(1), cox: true });
        } else if (attrs.includes("pandas_type")) {
          found.push({ key: child.slice(1), cox: false });
        } else queue.push(child);
      }
    }
    return found;
  }

  names(path: string): string[] {
    return this.#file.names(path);
  }

  raw(path: string, name: string): ReturnType<FastFile["raw"]> {
    return this.#file.raw(path, name);
  }

  datasetMeta(path: string): ReturnType<FastFile["datasetMeta"]> {
    return this.#file.datasetMeta(path);
  }

  filtered(path: string): boolean {
    return (this.#file.dataset(path)?.filters.length ?? 0) > 0;
  }

  attributes(path: string): AttributeReader {
    return new AttributeReader(this, path);
  }

  describe(
    key: string,
    known?: Readonly<Record<string, StoredKind>>,
  ): FrameTable {
    // a table's description is what its file says: once per version of the file
    const layout = this.#file.memo(
      `describe ${JSON.stringify([key, known ?? null])}`,
      () => describeFrameTable(this, key, undefined, known),
    );
    return { ...layout, columns: layout.columns.map((c) => ({ ...c })) };
  }

  /** Reads everything but the rows of table `key` while the file is in memory. */
  prepare(key: string): void {
    this.names(`/${key}`);
    this.#file.prepare(`/${key}/table`);
  }

  readColumns(
    table: FrameTable,
    start = 0,
    count = table.nrows - start,
  ): Cell[][] {
    return decodeRows(table, this.readRaw(table, start, count));
  }

  readRaw(
    table: FrameTable,
    start = 0,
    count = table.nrows - start,
  ): Uint8Array {
    const bytes = count * table.rowSize;
    if (bytes > scratch.length && bytes <= MAX_SCRATCH) {
      scratch = new Uint8Array(Math.max(bytes, 2 * scratch.length));
    }
    return this.#file.readRows(`/${table.key}/table`, start, count, scratch);
  }
}

class H5TableFile implements TableFile {
  readonly reader = "h5wasm";
  readonly #file: H5File;

  constructor(file: H5File) {
    this.#file = file;
  }

  get filename(): string {
    return this.#file.filename;
  }

  keys(): string[] {
    return this.#file.keys().sort();
  }

  has(path: string): boolean {
    return exists(this.#file, path);
  }

  findTables(): FoundObject[] {
    return findTables(this.#file);
  }

  attributes(path: string): AttributeReader {
    return new AttributeReader(this.#file, path);
  }

  describe(
    key: string,
    known?: Readonly<Record<string, StoredKind>>,
  ): FrameTable {
    return describeFrameTable(this.#file, key, undefined, known);
  }

  readColumns(table: FrameTable, start?: number, count?: number): Cell[][] {
    return readColumns(this.#file, table, start, count);
  }

  readRaw(
    table: FrameTable,
    start = 0,
    count = table.nrows - start,
  ): Uint8Array {
    return readRows(
      this.#file,
      `/${table.key}/table`,
      start,
      count,
      table.rowSize,
    );
  }
}

/** A table file served by h5wasm from a file already open. */
export function h5TableFile(file: H5File): TableFile {
  return new H5TableFile(file);
}

/** The error a fast-reader failure becomes, naming the file. */
function storeError(path: string, error: unknown): unknown {
  if (error instanceof H5External) return externalError(path, error);
  if (error instanceof H5Damaged) {
    return new StoreFileError(
      path,
      `Cannot open ${path}: ${error.message} (the file is damaged or not a store)`,
      { cause: error },
    );
  }
  if (error instanceof Deno.errors.NotFound) {
    return new StoreFileError(
      path,
      `Cannot open ${path}: ${error.message}`,
      { cause: error },
    );
  }
  if (
    error instanceof StoreFileError || error instanceof TypeError ||
    error instanceof RangeError || error instanceof H5Unsupported
  ) return error;
  return new StoreFileError(
    path,
    `Cannot use ${path}: ${(error as Error)?.message ?? String(error)}`,
    { cause: error },
  );
}

/**
 * Keeps of what the fast reader learnt of `path` only what reading rows
 * needs (see `forgetAttributes`), once its tables are described.
 */
export function trimReadCache(path: string): void {
  forgetAttributes(path);
}

/** The read Worker could not start: files that need h5wasm are read on this thread. */
let readOnThisThread = false;

/** Which files needed h5wasm (the fast reader does not handle them). */
const needsH5 = new Map<string, string>();

/**
 * Makes sure `path` can be read synchronously by `withTableFile`: reads its
 * tables' structure with the fast reader and, when it finds something it
 * does not handle, starts h5wasm's read Worker. Throws a StoreFileError for a file that
 * is damaged or names other files.
 */
export async function prepareRead(path: string): Promise<void> {
  checkNoEscape(path);
  let unsupported = "";
  try {
    const file = FastFile.open(path);
    try {
      const tables = new FastTableFile(file);
      // every table's layout and filters (external storage, virtual datasets and
      // filters we lack show here), so that later reads need nothing else
      for (const key of tables.keys()) tables.prepare(key);
      needsH5.delete(path);
      return;
    } finally {
      file.close();
    }
  } catch (error) {
    if (error instanceof H5Unsupported) unsupported = error.message;
    else {
      if (error instanceof H5Damaged) {
        checkHdf5(path); // an empty or non-HDF5 file says so
      }
      throw storeError(path, error);
    }
  }
  needsH5.set(path, unsupported);
  if (readOnThisThread) return; // the Worker failed to start once: not again for each file
  try {
    await readWorkerReady();
  } catch (error) {
    // no Worker (permissions too narrow for it, say): h5wasm on this thread
    await loadH5();
    readOnThisThread = true;
    warn(
      `reading ${path} and later files with h5wasm on the main thread, not isolated: ${
        (error as Error).message
      }`,
    );
  }
}

/**
 * Runs `body` on `path` open for reading: with the fast reader, or with
 * h5wasm when the fast reader does not handle the file: in the read Worker,
 * which `prepareRead` starts (until then such a file is a StoreFileError
 * caused by `H5Unsupported`), or on this thread for a writer
 * (`onThisThread`, with h5wasm loaded) reading its own store.
 */
export function withTableFile<T>(
  path: string,
  body: (file: TableFile) => T,
  options: { onThisThread?: boolean } = {},
): T {
  const writerHere = options.onThisThread === true && h5Loaded();
  if (!needsH5.has(path)) {
    checkNoEscape(path);
    let file: FastFile | null = null;
    try {
      file = FastFile.open(path);
      return body(new FastTableFile(file));
    } catch (error) {
      if (!(error instanceof H5Unsupported)) {
        if (error instanceof H5Damaged) checkHdf5(path); // an empty or non-HDF5 file says so
        throw storeError(path, error);
      }
      needsH5.set(path, error.message);
      if (!readWorkerUsable() && !readOnThisThread && !writerHere) {
        throw new StoreFileError(
          path,
          `Cannot read ${path} now: it changed since it was opened and needs h5wasm (${error.message}); open it again`,
          { cause: error },
        );
      }
    } finally {
      file?.close();
    }
  }
  try {
    // readers use the Worker (see isolated/client.ts); a writer, whose
    // process has h5wasm loaded for writing, reads on its own thread
    if (readWorkerUsable() && !writerHere) return withReadWorker(path, body);
    return withHdf5(path, "r", (file) => body(new H5TableFile(file)));
  } catch (error) {
    const reason = needsH5.get(path) ?? "";
    // a filter neither reader decodes: say which, rather than HDF5's plugin-path message
    if (reason.includes("filter") && error instanceof StoreFileError) {
      throw new StoreFileError(
        path,
        `Cannot read ${path}: ${reason} cannot be decoded (h5wasm: ${error.message})`,
        { cause: error },
      );
    }
    throw error;
  }
}

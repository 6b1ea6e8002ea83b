/**
 * Routes h5wasm's reads and writes of one file through a handler. Every byte
 * HDF5 reads or writes passes through Emscripten's file system (`FS.read`,
 * `FS.write`, `FS.ftruncate`), so a handler can hold writes back, patch what
 * is read, or record what is about to be overwritten, without HDF5 knowing.
 *
 * @module
 */

/** What a route may do with HDF5's I/O on its file. */
export interface FileRoute {
  /**
   * A write HDF5 makes at `position`. Returns true when the route took it
   * (the file is then not written), false to let it through. `bytes` is a
   * view of wasm memory, valid during the call only.
   */
  write?(position: number, bytes: Uint8Array): boolean;
  /** Bytes HDF5 has just read at `position`; the route may patch them in place. */
  read?(position: number, bytes: Uint8Array): void;
  /** HDF5 sets the file's length; true when the route took it. */
  truncate?(length: number): boolean;
  /**
   * Bytes per piece of the writes let through (default WRITE_PAGE, see
   * `pagedWrite`): a bulk append, whose chunks are written whole and not
   * rewritten, takes fewer, larger pieces.
   */
  piece?: number;
}

interface Stream {
  path?: string;
  position: number;
}

interface EmscriptenFs {
  write(
    stream: Stream,
    buffer: Uint8Array,
    offset: number,
    length: number,
    position?: number,
    canOwn?: boolean,
  ): number;
  read(
    stream: Stream,
    buffer: Uint8Array,
    offset: number,
    length: number,
    position?: number,
  ): number;
  ftruncate(fd: number, length: number): void;
  getStream(fd: number): Stream | null;
}

/** The page size writes are cut at. */
export const WRITE_PAGE = 4096;

/**
 * Writes `length` bytes meant for file position `at` as pieces that each
 * stay within one `page`-aligned page (WRITE_PAGE by default); `write(from, n)` writes bytes
 * `[from, from + n)` of them at `at + from` and returns how many it wrote.
 * Returns the bytes written. Why: Linux's page cache makes a large folio
 * (up to megabytes) for a large write, and a later small write into it
 * dirties, accounts and writes back the whole folio. HDF5 writes a chunk
 * in one call, then rewrites a few bytes near it (B-tree nodes, the last
 * chunk, headers) at every append, so a slow logger paid ~9 bytes of disk
 * writes per byte of its rows; written page by page the cache holds single
 * pages, and a small rewrite costs one page.
 */
export function pagedWrite(
  length: number,
  at: number,
  write: (from: number, n: number) => number,
  page: number = WRITE_PAGE,
): number {
  let done = 0;
  while (done < length) {
    const n = Math.min(length - done, page - ((at + done) % page));
    const wrote = write(done, n);
    done += wrote;
    if (wrote < n) break;
  }
  return done;
}

const routes = new Map<string, FileRoute>();
let installed = false;

/** Hooks the file system's calls once (from `loadH5`). */
export function installFileRoutes(fs: EmscriptenFs): void {
  if (installed) return;
  installed = true;
  const { write, read, ftruncate } = fs;
  fs.write = function (stream, buffer, offset, length, position, canOwn) {
    const route = routes.size > 0 && stream.path !== undefined
      ? routes.get(stream.path)
      : undefined;
    if (route?.write !== undefined && length > 0) {
      const at = position ?? stream.position;
      const view = new Uint8Array(
        buffer.buffer,
        buffer.byteOffset + offset,
        length,
      );
      if (route.write(at, view)) {
        if (position === undefined) stream.position += length;
        return length;
      }
    }
    // in pieces that never cross a page: see pagedWrite
    const at = position ?? stream.position;
    const done = pagedWrite(
      length,
      at,
      (from, n) =>
        write.call(this, stream, buffer, offset + from, n, at + from, canOwn),
      route?.piece,
    );
    if (position === undefined) stream.position += done;
    return done;
  };
  fs.read = function (stream, buffer, offset, length, position) {
    const at = position ?? stream.position;
    const n = read.call(this, stream, buffer, offset, length, position);
    const route = routes.size > 0 && stream.path !== undefined
      ? routes.get(stream.path)
      : undefined;
    if (route?.read !== undefined && n > 0) {
      route.read(
        at,
        new Uint8Array(buffer.buffer, buffer.byteOffset + offset, n),
      );
    }
    return n;
  };
  fs.ftruncate = function (fd, length) {
    const path = routes.size > 0 ? fs.getStream(fd)?.path : undefined;
    const route = path === undefined ? undefined : routes.get(path);
    if (route?.truncate?.(length)) return;
    return ftruncate.call(this, fd, length);
  };
}

/**
 * Routes HDF5's I/O on the file at `path` (as given to HDF5) through `route`
 * until the returned function is called.
 */
export function routeFile(path: string, route: FileRoute): () => void {
  if (!installed) {
    throw new Error(
      "Cannot route HDF5's file I/O before loadH5() has resolved",
    );
  }
  if (routes.has(path)) {
    throw new Error(`Cannot route HDF5's I/O on ${path}: it is routed already`);
  }
  routes.set(path, route);
  return () => {
    if (routes.get(path) === route) routes.delete(path);
  };
}

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
    return write.call(this, stream, buffer, offset, length, position, canOwn);
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

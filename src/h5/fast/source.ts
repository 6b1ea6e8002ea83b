/**
 * The bytes of one HDF5 file as the fast reader sees them: read through one
 * open handle, in aligned blocks for metadata (so an object header, a heap
 * and a B-tree node near each other cost one read) and in exact ranges for
 * row data. Every range is checked against the file's size before anything
 * is allocated, so no length found in the file can make us read or allocate
 * more than the file holds.
 *
 * @module
 */

/** A feature of HDF5 the fast reader does not decode: the caller falls back to h5wasm. */
export class H5Unsupported extends Error {
  constructor(message: string) {
    super(message);
    this.name = "H5Unsupported";
  }
}

/** A structure of the file that is out of bounds or inconsistent: the file is damaged. */
export class H5Damaged extends Error {
  constructor(message: string) {
    super(message);
    this.name = "H5Damaged";
  }
}

/** A file that names another file (external storage, an external link, a virtual dataset). */
export class H5External extends Error {
  constructor(message: string) {
    super(message);
    this.name = "H5External";
  }
}

/** A file up to this size is read whole at its first metadata read: one system call. */
const WHOLE = 1 << 20;
const BLOCK = 16 * 1024;
/** Blocks kept per file (4 MiB): the metadata of a big file is a small part of it. */
const MAX_BLOCKS = 256;

/** What identifies one version of a file on disk. */
export interface FileStamp {
  size: number;
  mtimeMs: number;
  ino: number;
  /** When the stamp was taken (wall clock, ms), not part of the identity. */
  seenAt: number;
}

/** Whole-file buffers of closed sources, for the next file. */
const pool: Uint8Array[] = [];

/**
 * An open file's bytes, read on demand. What `meta` and `data` return is
 * valid until `close()`: copy what must outlive it.
 */
/** What rewrites the bytes read from a file, by path (see {@linkcode patchReads}). */
const readPatches = new Map<
  string,
  (position: number, bytes: Uint8Array) => void
>();

/**
 * Passes every read of `path` through `patch`, which may overwrite the bytes
 * read at `position` (a run's reader uses it to see a file as it was before
 * an interrupted update), until the function returned is called.
 */
export function patchReads(
  path: string,
  patch: (position: number, bytes: Uint8Array) => void,
): () => void {
  readPatches.set(path, patch);
  return () => readPatches.delete(path);
}

/** Handles open for a reader's lock, by path, that `Source.open` reads through (see {@linkcode lendHandle}). */
const lent = new Map<string, Handle>();

/** An open handle and its position when known (-1: unknown), to skip a seek. */
interface Handle {
  file: Deno.FsFile;
  position: number;
}

/**
 * Lets `Source.open(path)` read through `file` (open for reading, e.g. the
 * handle that holds the reader's shared lock) rather than open the file
 * again, until the function returned is called. Sources never close it.
 */
export function lendHandle(
  path: string,
  file: Deno.FsFile,
  position = -1,
): () => void {
  const handle = { file, position };
  lent.set(path, handle);
  return () => {
    if (lent.get(path) === handle) lent.delete(path);
  };
}

export class Source {
  readonly path: string;
  readonly stamp: FileStamp;
  readonly #handle: Handle;
  /** Whether the handle is lent (closed by its owner, not by us). */
  readonly #borrowed: boolean;
  readonly #blocks = new Map<number, Uint8Array>();
  #whole: Uint8Array | null = null;
  /** Bytes read from the disk so far (for bounds on work per file). */
  bytesRead = 0;

  private constructor(
    path: string,
    handle: Handle,
    stamp: FileStamp,
    borrowed: boolean,
  ) {
    this.path = path;
    this.#handle = handle;
    this.stamp = stamp;
    this.#borrowed = borrowed;
  }

  /** Opens `path` for reading (or reads through a lent handle); the stamp comes from the open handle. */
  static open(path: string): Source {
    const held = lent.get(path);
    const file = held?.file ?? Deno.openSync(path, { read: true });
    try {
      const seenAt = Date.now();
      const info = file.statSync();
      if (!info.isFile) {
        throw new H5Damaged(`${path} is not a regular file`);
      }
      return new Source(path, held ?? { file, position: 0 }, {
        size: info.size,
        mtimeMs: info.mtime?.getTime() ?? 0,
        ino: info.ino ?? 0,
        seenAt,
      }, held !== undefined);
    } catch (error) {
      if (held === undefined) file.close();
      throw error;
    }
  }

  get size(): number {
    return this.stamp.size;
  }

  #check(at: number, length: number, what: string): void {
    if (
      !Number.isSafeInteger(at) || !Number.isSafeInteger(length) || at < 0 ||
      length < 0 || at + length > this.stamp.size
    ) {
      throw new H5Damaged(
        `${what} at byte ${at} (${length} bytes) lies outside the file (${this.stamp.size} bytes)`,
      );
    }
  }

  #readExact(at: number, out: Uint8Array): void {
    const handle = this.#handle;
    if (handle.position !== at) {
      handle.position = -1; // unknown if the seek fails
      handle.file.seekSync(at, Deno.SeekMode.Start);
    }
    let got = 0;
    while (got < out.length) {
      handle.position = -1; // unknown if the read fails
      const n = handle.file.readSync(got === 0 ? out : out.subarray(got));
      if (n === null || n === 0) {
        throw new H5Damaged(
          `the file ended at byte ${
            at + got
          } while reading (it changed or was cut short)`,
        );
      }
      got += n;
    }
    handle.position = at + got;
    readPatches.get(this.path)?.(at, out);
    this.bytesRead += out.length;
  }

  #block(index: number): Uint8Array {
    let block = this.#blocks.get(index);
    if (block !== undefined) return block;
    const at = index * BLOCK;
    block = new Uint8Array(Math.min(BLOCK, this.stamp.size - at));
    this.#readExact(at, block);
    if (this.#blocks.size >= MAX_BLOCKS) {
      this.#blocks.delete(this.#blocks.keys().next().value!);
    }
    this.#blocks.set(index, block);
    return block;
  }

  /**
   * `length` bytes at `at`, for metadata (may share memory with a cached
   * block: do not modify).
   */
  meta(at: number, length: number, what: string): Uint8Array {
    this.#check(at, length, what);
    if (this.#whole === null && this.stamp.size <= WHOLE) {
      // one buffer reused from file to file: a fresh 100 KiB+ buffer per run
      // costs more in garbage collection than the read itself
      const buffer = pool.pop() ?? new Uint8Array(WHOLE);
      const whole = buffer.subarray(0, this.stamp.size);
      this.#readExact(0, whole);
      this.#whole = whole;
    }
    if (this.#whole !== null) return this.#whole.subarray(at, at + length);
    const first = Math.floor(at / BLOCK);
    const last = Math.floor((at + Math.max(length, 1) - 1) / BLOCK);
    if (first === last) {
      const block = this.#block(first);
      const o = at - first * BLOCK;
      return block.subarray(o, o + length);
    }
    if (length > 4 * BLOCK) return this.data(at, length, what);
    const out = new Uint8Array(length);
    for (let b = first, done = 0; b <= last; b++) {
      const block = this.#block(b);
      const from = b === first ? at - first * BLOCK : 0;
      const n = Math.min(block.length - from, length - done);
      out.set(block.subarray(from, from + n), done);
      done += n;
    }
    return out;
  }

  /** `length` bytes at `at`, for row data (read as asked unless the whole file is in memory; do not modify). */
  data(at: number, length: number, what: string): Uint8Array {
    this.#check(at, length, what);
    if (this.#whole !== null) return this.#whole.subarray(at, at + length);
    const out = new Uint8Array(length);
    this.#readExact(at, out);
    return out;
  }

  /** Reads the `out.length` bytes at `at` into `out` (row data, without a buffer of its own). */
  readInto(at: number, out: Uint8Array, what: string): void {
    this.#check(at, out.length, what);
    if (this.#whole !== null) {
      out.set(this.#whole.subarray(at, at + out.length));
    } else this.#readExact(at, out);
  }

  /** Closes the handle and drops the cached blocks. */
  close(): void {
    this.#blocks.clear();
    if (this.#whole !== null && pool.length < 4) {
      pool.push(new Uint8Array(this.#whole.buffer));
    }
    this.#whole = null;
    if (this.#borrowed) return;
    try {
      this.#handle.file.close();
    } catch {
      // closed already
    }
  }
}

/** Little-endian reading of a byte range, with every read bounded by the range. */
export class Cursor {
  readonly bytes: Uint8Array;
  pos: number;
  readonly what: string;

  constructor(bytes: Uint8Array, what: string, pos = 0) {
    // no DataView: a cursor is made per structure read, and little-endian
    // fields are a few byte reads
    this.bytes = bytes;
    this.pos = pos;
    this.what = what;
  }

  get left(): number {
    return this.bytes.length - this.pos;
  }

  need(n: number): void {
    if (n < 0 || this.pos + n > this.bytes.length) {
      throw new H5Damaged(
        `${this.what} ends early (needs ${n} bytes at ${this.pos} of ${this.bytes.length})`,
      );
    }
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++];
  }

  u16(): number {
    this.need(2);
    const b = this.bytes, p = this.pos;
    this.pos = p + 2;
    return b[p] | (b[p + 1] << 8);
  }

  u32(): number {
    this.need(4);
    const b = this.bytes, p = this.pos;
    this.pos = p + 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 0x1000000;
  }

  /** An unsigned integer of `n` bytes (1..8); all ones is returned as -1 (HDF5's "undefined"). */
  uint(n: number): number {
    this.need(n);
    let v = 0;
    let ones = true;
    for (let i = n - 1; i >= 0; i--) {
      const b = this.bytes[this.pos + i];
      if (b !== 0xff) ones = false;
      v = v * 256 + b;
    }
    this.pos += n;
    if (ones && n > 1) return -1;
    if (!Number.isSafeInteger(v)) {
      throw new H5Damaged(`${this.what} holds a number past 2^53`);
    }
    return v;
  }

  take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A NUL-terminated string (without the NUL). */
  cstring(): string {
    let end = this.pos;
    while (end < this.bytes.length && this.bytes[end] !== 0) end++;
    if (end >= this.bytes.length) {
      throw new H5Damaged(`${this.what} holds a name without its end`);
    }
    const s = utf8.decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }

  signature(expected: string): void {
    this.need(4);
    for (let i = 0; i < 4; i++) {
      if (this.bytes[this.pos + i] !== expected.charCodeAt(i)) {
        throw new H5Damaged(`${this.what}: expected signature ${expected}`);
      }
    }
    this.pos += 4;
  }
}

const utf8 = new TextDecoder();

/**
 * An HDF5 file opened by the fast reader: groups, attributes and the rows of
 * one-dimensional datasets, read with a handful of system calls and no
 * wasm. What a file's structure says (links, attributes, dataset layouts)
 * is cached per file and reused while the file's size, mtime and inode are
 * unchanged, so a second table of the same run costs only its rows; not for
 * a version seen within `RACY_MS` of its mtime (it may have changed unseen).
 *
 * @module
 */

import type { AttributeMetadata } from "../h5wasm.ts";
import type { RawAttributes } from "../attributes.ts";
import {
  Budget,
  type Datatype,
  H5Format,
  inflateBudget,
  parseAttribute,
  type RawAttribute,
} from "./format.ts";
import { DatasetInfo } from "./dataset.ts";
import { type FileStamp, H5Damaged, Source } from "./source.ts";
import { settled } from "../../file_stamp.ts";

/** A dataset's metadata in the shape h5wasm gives it (what `describeFrameTable` reads). */
export interface DatasetMeta {
  type: number;
  size: number;
  shape: number[];
  compound_type?: { members: MemberMeta[] };
}

/** A compound member's or a base type's metadata, in h5wasm's shape. */
export interface MemberMeta {
  type: number;
  size: number;
  signed: boolean;
  littleEndian: boolean;
  vlen: boolean;
  name?: string;
  offset?: number;
  cset?: number;
  array_type?: MemberMeta & { shape?: number[] };
}

interface Parsed {
  stamp: FileStamp;
  superblock: H5Format["sb"];
  links: Map<number, Map<string, number>>;
  /** Attribute messages (copied out of the file's bytes), parsed when read. */
  attributes: Map<number, Map<string, Uint8Array | RawAttribute>>;
  datasets: Map<number, DatasetInfo>;
  /** Addresses known to be groups (their headers are not parsed again to say so). */
  groups: Set<number>;
  /** Object header addresses by path (-1: absent), as `#resolve` found them. */
  paths: Map<string, number>;
  /** What callers derived from this version of the file (table descriptions). */
  memo: Map<string, unknown>;
}

const cache = new Map<string, Parsed>();
const CACHE_MAX = 4096;

function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}

/** Forgets what was cached about `path` (after we changed it). */
export function forgetFile(path: string): void {
  cache.delete(path);
}

/**
 * Drops the attributes cached for `path` (read again from the file if asked
 * for): a reader that has described its tables needs only links, dataset
 * layouts and descriptions to read rows, and thousands of runs' attribute
 * bytes and names cost more memory and garbage collection than the rest.
 */
export function forgetAttributes(path: string): void {
  cache.get(path)?.attributes.clear();
}

function memberMeta(t: Datatype): MemberMeta {
  const out: MemberMeta = {
    type: t.cls,
    size: t.size,
    signed: t.signed,
    littleEndian: t.littleEndian,
    vlen: t.vlen,
  };
  if (t.cls === 3) out.cset = t.cset;
  if (t.cls === 10 && t.base) {
    out.array_type = { ...memberMeta(t.base), shape: t.dims };
  }
  return out;
}

/** An HDF5 file read by the fast reader; close it when done. */
export class FastFile implements RawAttributes {
  readonly filename: string;
  readonly #src: Source;
  readonly #f: H5Format;
  readonly #parsed: Parsed;

  private constructor(path: string, src: Source, parsed: Parsed | undefined) {
    this.filename = path;
    this.#src = src;
    this.#f = new H5Format(
      src,
      new Budget(undefined, inflateBudget(src.size)),
      parsed?.superblock,
    );
    this.#parsed = parsed ?? {
      stamp: src.stamp,
      superblock: this.#f.sb,
      links: new Map(),
      attributes: new Map(),
      datasets: new Map(),
      groups: new Set(),
      paths: new Map(),
      memo: new Map(),
    };
    if (parsed === undefined) {
      cache.delete(path);
      cache.set(path, this.#parsed);
      if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value!);
    }
  }

  /** Opens `path`; throws H5Unsupported, H5Damaged or a Deno error. */
  static open(path: string): FastFile {
    const src = Source.open(path);
    try {
      const held = cache.get(path);
      return new FastFile(
        path,
        src,
        held && sameStamp(held.stamp, src.stamp) &&
          settled(held.stamp.mtimeMs, held.stamp.seenAt)
          ? held
          : undefined,
      );
    } catch (error) {
      src.close();
      throw error;
    }
  }

  /** The file's size when opened. */
  get size(): number {
    return this.#src.size;
  }

  #links(address: number): Map<string, number> {
    let links = this.#parsed.links.get(address);
    if (links === undefined) {
      links = this.#f.links(address);
      this.#parsed.links.set(address, links);
    }
    return links;
  }

  /** The object header address of `path` ("/", "/log", "/log/table"), or -1 when absent. */
  #resolve(path: string): number {
    const known = this.#parsed.paths.get(path);
    if (known !== undefined) return known;
    const at = this.#walk(path);
    this.#parsed.paths.set(path, at);
    return at;
  }

  #walk(path: string): number {
    let at = this.#f.sb.rootAddress;
    const parts = path.split("/").filter((p) => p !== "");
    if (parts.length > 64) throw new H5Damaged(`the path ${path} is too deep`);
    for (const part of parts) {
      const next = this.#links(at).get(part);
      if (next === undefined) return -1;
      at = next;
    }
    return at;
  }

  /** The names in group `path` (default: the root), in name order. */
  keys(path = "/"): string[] {
    const at = this.#resolve(path);
    return at === -1 ? [] : [...this.#links(at).keys()];
  }

  #attributes(path: string): Map<string, Uint8Array | RawAttribute> {
    const at = this.#resolve(path);
    if (at === -1) return new Map();
    let attrs = this.#parsed.attributes.get(at);
    if (attrs === undefined) {
      attrs = new Map();
      // copied (the cache must not hold the file's bytes) into one buffer per
      // object: a buffer per attribute costs more to keep than its bytes
      const found = this.#f.attributes(at);
      // its header is parsed now: whether it is a group costs nothing more
      if (this.#f.isGroup(at)) this.#parsed.groups.add(at);
      let total = 0;
      for (const data of found.values()) total += data.length;
      const copy = new Uint8Array(total);
      let offset = 0;
      for (const [name, data] of found) {
        copy.set(data, offset);
        attrs.set(name, copy.subarray(offset, offset + data.length));
        offset += data.length;
      }
      this.#parsed.attributes.set(at, attrs);
    }
    return attrs;
  }

  /** Names of the attributes of `path`. */
  names(path: string): string[] {
    return [...this.#attributes(path).keys()];
  }

  /** An attribute's metadata and bytes, as h5wasm gives them, or null when absent. */
  raw(
    path: string,
    name: string,
  ): { metadata: AttributeMetadata; bytes: Uint8Array | null } | null {
    const attrs = this.#attributes(path);
    const held = attrs.get(name);
    if (held === undefined) return null;
    let a: RawAttribute;
    if (held instanceof Uint8Array) {
      a = parseAttribute(this.#f.L, held);
      attrs.set(name, a);
    } else a = held;
    const count = a.shape === null ? 0 : a.shape.reduce((x, y) => x * y, 1);
    const metadata: AttributeMetadata = {
      type: a.type.cls,
      size: a.type.size,
      signed: a.type.signed,
      littleEndian: a.type.littleEndian,
      vlen: a.type.vlen,
      cset: a.type.cset,
      shape: a.shape,
      total_size: count,
    };
    if (a.shape === null || a.type.vlen) return { metadata, bytes: null };
    return { metadata, bytes: a.bytes };
  }

  /** The dataset at `path`, or null when there is none (or it is a group). */
  dataset(path: string): DatasetInfo | null {
    const at = this.#resolve(path);
    if (at === -1) return null;
    let info = this.#parsed.datasets.get(at);
    if (info === undefined) {
      if (this.#parsed.groups.has(at)) return null;
      if (this.#f.isGroup(at)) {
        this.#parsed.groups.add(at);
        return null;
      }
      info = new DatasetInfo(this.#f, at, `${path} in ${this.filename}`);
      this.#parsed.datasets.set(at, info);
    }
    return info;
  }

  /** A dataset's metadata in h5wasm's shape, or null. */
  datasetMeta(path: string): DatasetMeta | null {
    const info = this.dataset(path);
    if (info === null) return null;
    const t = info.type;
    return {
      type: t.cls,
      size: t.size,
      shape: info.shape,
      compound_type: t.members
        ? {
          members: t.members.map((m) => ({
            ...memberMeta(m.type),
            name: m.name,
            offset: m.offset,
          })),
        }
        : undefined,
    };
  }

  /** `make()`, computed once per version of the file (by size, mtime and inode). */
  memo<T>(key: string, make: () => T): T {
    if (this.#parsed.memo.has(key)) return this.#parsed.memo.get(key) as T;
    const value = make();
    this.#parsed.memo.set(key, value);
    return value;
  }

  /** Reads (and caches) everything reading the dataset at `path` will need but its rows. */
  prepare(path: string): void {
    const info = this.dataset(path);
    if (info === null) return;
    this.names(path);
    info.index(this.#f, `${path} in ${this.filename}`);
  }

  /**
   * Raw rows `[start, start + count)` of the dataset at `path` (in the first
   * bytes of `scratch` when it is large enough: see `DatasetInfo.read`).
   */
  readRows(
    path: string,
    start: number,
    count: number,
    scratch?: Uint8Array,
  ): Uint8Array {
    const info = this.dataset(path);
    if (info === null) {
      throw new H5Damaged(`${path} in ${this.filename} is not a dataset`);
    }
    return info.read(
      this.#f,
      start,
      count,
      `${path} in ${this.filename}`,
      scratch,
    );
  }

  /**
   * Visits every object reachable from the root (at most `most`), so that
   * anything naming another file is found; returns the objects visited.
   */
  walk(most = 100_000): number {
    const seen = new Set<number>();
    const stack = [this.#f.sb.rootAddress];
    while (stack.length > 0) {
      const at = stack.pop()!;
      if (seen.has(at)) continue;
      seen.add(at);
      if (seen.size > most) {
        throw new H5Damaged(`more than ${most} objects in ${this.filename}`);
      }
      if (this.#f.isGroup(at)) {
        for (const child of this.#links(at).values()) stack.push(child);
      } else {
        this.#f.checkSelfContained(at, `an object in ${this.filename}`);
      }
    }
    return seen.size;
  }

  /** Closes the file (what was learnt of its structure stays cached). */
  close(): void {
    this.#src.close();
  }
}

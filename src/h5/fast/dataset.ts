/**
 * A one-dimensional dataset's rows, read straight from the file: contiguous,
 * compact or chunked (v1 B-tree index, or a v4 single chunk), through the
 * deflate, shuffle and Fletcher-32 filters. Only the chunks that hold the
 * wanted rows are read, and each inflated chunk is checked against its
 * size while inflating, so a deflate bomb costs at most one chunk's bytes.
 *
 * @module
 */

import { Unzlib } from "npm:fflate@0.8.2/browser";
import {
  type Datatype,
  type H5Format,
  MSG,
  parseDataspace,
  parseDatatype,
} from "./format.ts";
import { Cursor, H5Damaged, H5External, H5Unsupported } from "./source.ts";

interface ChunkEntry {
  /** Row of the chunk's first row. */
  first: number;
  address: number;
  size: number;
  mask: number;
}

/** A filter of a dataset's pipeline. */
export interface Filter {
  id: number;
  name: string;
  optional: boolean;
  values: number[];
}

/** HDF5's names for the filters pandas and PyTables use. */
export const FILTER_NAMES: Record<number, string> = {
  1: "deflate",
  2: "shuffle",
  3: "fletcher32",
  4: "szip",
  5: "nbit",
  6: "scaleoffset",
  307: "bzip2",
  32000: "lzf",
  32001: "blosc",
  32004: "lz4",
  32015: "zstd",
  32026: "blosc2",
};

const DECODED = new Set([1, 2, 3]);

type Storage =
  | { kind: "compact"; data: Uint8Array }
  | { kind: "contiguous"; address: number; size: number }
  | { kind: "chunked"; btree: number; rows: number; ndims: number }
  | { kind: "single"; address: number; size: number; mask: number };

/** What a dataset is, from its object header. */
export class DatasetInfo {
  readonly type: Datatype;
  readonly shape: number[];
  readonly maxshape: number[] | null;
  readonly filters: Filter[];
  readonly chunks: number[] | null;
  readonly #storage: Storage;

  constructor(f: H5Format, address: number, where: string) {
    let type: Datatype | null = null;
    let shape: number[] | null | undefined;
    let maxshape: number[] | null = null;
    let layout: Uint8Array | null = null;
    let filters: Filter[] = [];
    for (const m of f.header(address)) {
      switch (m.type) {
        case MSG.DATATYPE:
          type = parseDatatype(new Cursor(m.data, `the datatype of ${where}`));
          break;
        case MSG.DATASPACE:
          ({ shape, maxshape } = parseDataspace(
            new Cursor(m.data, `the dataspace of ${where}`),
            f.L,
          ));
          break;
        case MSG.LAYOUT:
          layout = m.data;
          break;
        case MSG.FILTERS:
          filters = parseFilters(m.data, where);
          break;
        case MSG.EXTERNAL_FILES:
          throw new H5External(
            `${where} keeps its data in external files (${
              externalNames(f, m.data)
            })`,
          );
      }
    }
    if (type === null || shape === undefined || layout === null) {
      throw new H5Damaged(`${where} lacks its datatype, dataspace or layout`);
    }
    if (shape === null || shape.length !== 1) {
      throw new H5Unsupported(`${where} is not one-dimensional`);
    }
    this.type = type;
    this.shape = shape;
    this.maxshape = maxshape;
    this.filters = filters;
    const { storage, chunks } = parseLayout(f, layout, where);
    this.#storage = storage;
    this.chunks = chunks;
    for (const filter of filters) {
      if (!DECODED.has(filter.id)) {
        throw new H5Unsupported(
          `the ${filter.name} filter (HDF5 filter ${filter.id}) on ${where}`,
        );
      }
    }
  }

  /**
   * Raw bytes of rows `[start, start + count)`, `rowSize` bytes each (the
   * datatype's size). Chunks not written read as zeros, as HDF5's default
   * fill value. With `scratch` (large enough), the rows go into its first
   * bytes and the result shares its memory.
   */
  read(
    f: H5Format,
    start: number,
    count: number,
    where: string,
    scratch?: Uint8Array,
  ): Uint8Array {
    const rowSize = this.type.size;
    const total = count * rowSize;
    if (
      !Number.isSafeInteger(total) || start < 0 || count < 0 ||
      start + count > this.shape[0]
    ) {
      throw new RangeError(
        `Cannot read rows ${start} to ${start + count} of ${where}: it has ${
          this.shape[0]
        }`,
      );
    }
    const out = scratch !== undefined && scratch.length >= total
      ? scratch.subarray(0, total).fill(0)
      : new Uint8Array(total);
    if (count === 0) return out;
    const s = this.#storage;
    if (s.kind === "compact") {
      if ((start + count) * rowSize > s.data.length) {
        throw new H5Damaged(`${where}: compact data shorter than its rows`);
      }
      out.set(s.data.subarray(start * rowSize, (start + count) * rowSize));
      return out;
    }
    if (s.kind === "contiguous") {
      if (s.address === -1) return out;
      if ((start + count) * rowSize > s.size) {
        throw new H5Damaged(`${where}: contiguous data shorter than its rows`);
      }
      f.src.readInto(
        f.abs(s.address + start * rowSize),
        out,
        `the rows of ${where}`,
      );
      return out;
    }
    const chunkRows = this.chunks![0];
    const chunkBytes = chunkRows * rowSize;
    // deflated rows without strings: refuse at once what would pass the
    // file's budget (each chunk is charged again as it is inflated, for what
    // this misses). Fixed-width strings are mostly padding, which honestly
    // deflates up to deflate's own limit, so rows with strings are not charged.
    const charged = this.filters.some((x) => x.id === 1) &&
      !hasStrings(this.type);
    if (charged && total > f.budget.inflated) {
      f.budget.inflate(total, where);
    }
    const place = (chunk: Uint8Array, first: number) => {
      const from = Math.max(start, first);
      const to = Math.min(start + count, first + chunkRows);
      if (to <= from) return;
      out.set(
        chunk.subarray((from - first) * rowSize, (to - first) * rowSize),
        (from - start) * rowSize,
      );
    };
    if (s.kind === "single") {
      place(
        this.#chunk(f, s.address, s.size, s.mask, chunkBytes, where),
        0,
      );
      return out;
    }
    if (s.btree === -1) return out;
    for (
      const c of this.#chunkIndex(f, s.btree, s.ndims, start, count, where)
    ) {
      if (c.first + chunkRows <= start || c.first >= start + count) continue;
      const unfiltered = this.filters.length === 0 ||
        (c.mask & ((1 << this.filters.length) - 1)) ===
          (1 << this.filters.length) - 1;
      if (unfiltered) {
        // rows stored as they are: read only those wanted (a 1-row table in a 2730-row chunk reads 1 row)
        if (c.size !== chunkBytes) {
          throw new H5Damaged(
            `${where}: a chunk of ${c.size} bytes, expected ${chunkBytes}`,
          );
        }
        const from = Math.max(start, c.first);
        const to = Math.min(start + count, c.first + chunkRows);
        f.budget.spend("chunk");
        f.src.readInto(
          f.abs(c.address + (from - c.first) * rowSize),
          out.subarray((from - start) * rowSize, (to - start) * rowSize),
          `a chunk of ${where}`,
        );
        continue;
      }
      place(
        this.#chunk(f, c.address, c.size, c.mask, chunkBytes, where),
        c.first,
      );
    }
    return out;
  }

  /** Reads the whole chunk index now (from a file already in memory), for later reads. */
  index(f: H5Format, where: string): void {
    const s = this.#storage;
    if (s.kind === "chunked" && s.btree !== -1) {
      this.#chunkIndex(f, s.btree, s.ndims, 0, this.shape[0], where);
    }
  }

  /** The whole chunk index, once read (a later read of the same file reads only chunks). */
  #chunks: ChunkEntry[] | null = null;

  /**
   * The chunks holding rows `[start, start + count)` (and maybe others):
   * the B-tree's nodes are read only down the branches that hold them.
   */
  #chunkIndex(
    f: H5Format,
    btree: number,
    ndims: number,
    start: number,
    count: number,
    where: string,
  ): ChunkEntry[] {
    if (this.#chunks !== null) return this.#chunks;
    const all = start === 0 && count === this.shape[0];
    const entries = f.btree1(
      btree,
      1,
      8 + 8 * ndims,
      // a child's chunks start in [from, to], to included (the key after
      // the last child can be that chunk's own first row, not its end)
      all
        ? null
        : (from, to) => to + this.chunks![0] > start && from < start + count,
    ).map((entry): ChunkEntry => {
      const k = new Cursor(entry.key, `a chunk key of ${where}`);
      const size = k.u32();
      const mask = k.u32();
      const first = k.uint(8);
      if (first % this.chunks![0] !== 0) {
        throw new H5Damaged(
          `${where}: a chunk at row ${first}, not a chunk boundary`,
        );
      }
      return { first, address: entry.child, size, mask };
    });
    if (all) this.#chunks = entries;
    return entries;
  }

  /** One chunk's bytes, through the filters in reverse (skipping those its mask names). */
  #chunk(
    f: H5Format,
    address: number,
    size: number,
    mask: number,
    chunkBytes: number,
    where: string,
  ): Uint8Array {
    f.budget.spend("chunk");
    const limit = Math.max(chunkBytes, 1) * 1032 + 1024;
    if (this.filters.length === 0 && size !== chunkBytes) {
      throw new H5Damaged(
        `${where}: a chunk of ${size} bytes, expected ${chunkBytes}`,
      );
    }
    if (size > limit) throw new H5Damaged(`${where}: a chunk too large`);
    let bytes = f.src.data(f.abs(address), size, `a chunk of ${where}`);
    for (let i = this.filters.length - 1; i >= 0; i--) {
      if (mask & (1 << i)) continue;
      const filter = this.filters[i];
      switch (filter.id) {
        case 1:
          if (!hasStrings(this.type)) f.budget.inflate(chunkBytes, where);
          bytes = inflateBounded(bytes, chunkBytes, where);
          break;
        case 2:
          bytes = unshuffle(bytes, filter.values[0] ?? this.type.size);
          break;
        case 3:
          if (bytes.length < 4) throw new H5Damaged(`${where}: a short chunk`);
          bytes = bytes.subarray(0, bytes.length - 4);
          break;
      }
    }
    if (bytes.length < chunkBytes) {
      throw new H5Damaged(
        `${where}: a chunk decodes to ${bytes.length} bytes, expected ${chunkBytes}`,
      );
    }
    return bytes;
  }
}

/** Whether a row type holds a fixed-width string anywhere (members, arrays). */
function hasStrings(t: Datatype): boolean {
  return t.cls === 3 || (t.members?.some((m) => hasStrings(m.type)) ?? false) ||
    (t.base !== undefined && hasStrings(t.base));
}

/**
 * Inflates a zlib stream, refusing as soon as the output passes `expected`
 * bytes: the input is fed in slices, so the work done before refusing is
 * bounded by one slice's expansion.
 */
export function inflateBounded(
  input: Uint8Array,
  expected: number,
  where: string,
): Uint8Array {
  const out = new Uint8Array(expected);
  let got = 0;
  let over = false;
  const z = new Unzlib((chunk) => {
    if (got + chunk.length > expected) {
      over = true;
      return;
    }
    out.set(chunk, got);
    got += chunk.length;
  });
  const SLICE = 4096;
  try {
    for (let i = 0; i < input.length && !over; i += SLICE) {
      const end = Math.min(input.length, i + SLICE);
      z.push(input.subarray(i, end), end === input.length);
    }
  } catch (error) {
    throw new H5Damaged(
      `${where}: a deflated chunk does not inflate (${
        (error as Error).message
      })`,
    );
  }
  if (over) {
    throw new H5Damaged(
      `${where}: a deflated chunk inflates to more than its ${expected} bytes`,
    );
  }
  return got === expected ? out : out.subarray(0, got);
}

function unshuffle(bytes: Uint8Array, size: number): Uint8Array {
  if (size <= 1) return bytes;
  const n = Math.floor(bytes.length / size);
  const out = new Uint8Array(bytes.length);
  for (let b = 0; b < size; b++) {
    const from = b * n;
    for (let i = 0; i < n; i++) out[i * size + b] = bytes[from + i];
  }
  out.set(bytes.subarray(n * size), n * size);
  return out;
}

function parseFilters(data: Uint8Array, where: string): Filter[] {
  const c = new Cursor(data, `the filters of ${where}`);
  const version = c.u8();
  const count = c.u8();
  if (version === 1) c.skip(6);
  else if (version !== 2) {
    throw new H5Unsupported(`filter pipeline version ${version}`);
  }
  const out: Filter[] = [];
  for (let i = 0; i < count; i++) {
    const id = c.u16();
    const nameLength = version === 1 || id >= 256 ? c.u16() : 0;
    const flags = c.u16();
    const nvalues = c.u16();
    let name = FILTER_NAMES[id] ?? "";
    if (nameLength > 0) {
      const raw = c.take(
        version === 1 ? Math.ceil(nameLength / 8) * 8 : nameLength,
      );
      let end = 0;
      while (end < raw.length && raw[end] !== 0) end++;
      name ||= new TextDecoder().decode(raw.subarray(0, end));
    }
    const values: number[] = [];
    for (let k = 0; k < nvalues; k++) values.push(c.u32());
    if (version === 1 && nvalues % 2 === 1) c.skip(4);
    out.push({
      id,
      name: name || `filter ${id}`,
      optional: (flags & 1) !== 0,
      values,
    });
  }
  return out;
}

function parseLayout(
  f: H5Format,
  data: Uint8Array,
  where: string,
): { storage: Storage; chunks: number[] | null } {
  const c = new Cursor(data, `the layout of ${where}`);
  const version = c.u8();
  if (version === 1 || version === 2) {
    const ndims = c.u8();
    const cls = c.u8();
    c.skip(5);
    const address = cls !== 0 ? c.uint(f.O) : -1;
    const dims: number[] = [];
    for (let i = 0; i < ndims; i++) dims.push(c.u32());
    if (cls === 0) {
      const size = c.u32();
      return {
        storage: { kind: "compact", data: c.take(size).slice() },
        chunks: null,
      };
    }
    if (cls === 1) {
      const size = dims.reduce((a, b) => a * b, 1);
      return { storage: { kind: "contiguous", address, size }, chunks: null };
    }
    if (cls === 2) {
      return chunked(address, dims, where);
    }
    throw new H5Unsupported(`layout class ${cls}`);
  }
  if (version !== 3 && version !== 4) {
    throw new H5Unsupported(`layout message version ${version}`);
  }
  const cls = c.u8();
  if (cls === 0) {
    const size = c.u16();
    return {
      storage: { kind: "compact", data: c.take(size).slice() },
      chunks: null,
    };
  }
  if (cls === 1) {
    const address = c.uint(f.O);
    const size = c.uint(f.L);
    return { storage: { kind: "contiguous", address, size }, chunks: null };
  }
  if (cls === 3) {
    throw new H5External(
      `${where} is a virtual dataset, whose data lives in other files`,
    );
  }
  if (cls !== 2) throw new H5Unsupported(`layout class ${cls}`);
  if (version === 3) {
    const ndims = c.u8();
    const address = c.uint(f.O);
    const dims: number[] = [];
    for (let i = 0; i < ndims; i++) dims.push(c.u32());
    return chunked(address, dims, where);
  }
  const flags = c.u8();
  const ndims = c.u8();
  const width = c.u8();
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(c.uint(width));
  const index = c.u8();
  if (index !== 1) {
    throw new H5Unsupported(`chunk index type ${index} (layout version 4)`);
  }
  let size = -1;
  let mask = 0;
  if (flags & 2) {
    size = c.uint(f.L);
    mask = c.u32();
  }
  const address = c.uint(f.O);
  const { chunks } = chunked(address, dims, where);
  const rows = chunks![0];
  return {
    storage: {
      kind: "single",
      address,
      size: size === -1 ? rows * dims[dims.length - 1] : size,
      mask,
    },
    chunks,
  };
}

function chunked(
  address: number,
  dims: number[],
  where: string,
): { storage: Storage; chunks: number[] } {
  if (dims.length !== 2 || dims[0] <= 0) {
    throw new H5Unsupported(
      `${where}: chunks of ${dims.length - 1} dimensions`,
    );
  }
  return {
    storage: { kind: "chunked", btree: address, rows: dims[0], ndims: 2 },
    chunks: [dims[0]],
  };
}

function externalNames(f: H5Format, data: Uint8Array): string {
  try {
    const c = new Cursor(data, "an external files message");
    c.skip(4);
    c.u16();
    const used = c.u16();
    const heap = c.uint(f.O);
    const hc = f.cursor(heap, 8 + 2 * f.L + f.O, "a local heap");
    hc.signature("HEAP");
    hc.skip(4);
    const size = hc.uint(f.L);
    hc.uint(f.L);
    const names = f.src.meta(f.abs(hc.uint(f.O)), size, "a local heap");
    const out: string[] = [];
    for (let i = 0; i < Math.min(used, 8); i++) {
      const offset = c.uint(f.L);
      c.uint(f.L);
      c.uint(f.L);
      let end = offset;
      while (end < names.length && names[end] !== 0) end++;
      out.push(new TextDecoder().decode(names.subarray(offset, end)));
    }
    return out.join(", ");
  } catch {
    return "names unreadable";
  }
}

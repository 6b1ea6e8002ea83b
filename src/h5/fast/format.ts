/**
 * HDF5's on-disk structures, as far as pandas/PyTables and our own writer
 * (through h5wasm) use them: superblocks 0 to 3, object headers 1 and 2,
 * old-style groups (symbol tables: a v1 B-tree and a local heap) and
 * new-style ones (link messages, compact or in a fractal heap indexed by a
 * v2 B-tree), attributes (compact or dense), datatypes (integers, floats,
 * fixed strings, bitfields, compounds, arrays), dataspaces, data layouts
 * and filter pipelines. Anything else is `H5Unsupported` (the caller reads
 * the file with h5wasm instead); anything naming another file is
 * `H5External`; anything out of bounds is `H5Damaged`.
 *
 * Every loop is bounded by a count found in the file and checked against
 * the bytes that hold it, and the work on one file by a `Budget`.
 *
 * @module
 */

import {
  Cursor,
  H5Damaged,
  H5External,
  H5Unsupported,
  type Source,
} from "./source.ts";

/** Bytes one open file may inflate beyond {@link INFLATE_RATIO} times its size. */
export const INFLATE_BASE = 64 * 1024 * 1024;
/** Inflated bytes one open file may produce per byte of its size (on top of {@link INFLATE_BASE}). */
export const INFLATE_RATIO = 64;

/** The inflated bytes one open file of `fileSize` bytes may produce. */
export function inflateBudget(fileSize: number): number {
  return INFLATE_BASE + INFLATE_RATIO * fileSize;
}

/** Limits on the work spent on one file, whatever it claims. */
export class Budget {
  /** Object headers, B-tree nodes and heap blocks still allowed. */
  nodes: number;
  /** Bytes the deflate filter may still produce. */
  inflated: number;
  /** The budget of inflated bytes this started with. */
  readonly maxInflated: number;
  constructor(nodes = 200_000, inflated = Infinity) {
    this.nodes = nodes;
    this.inflated = this.maxInflated = inflated;
  }
  spend(what: string): void {
    if (--this.nodes < 0) {
      throw new H5Damaged(
        `too many HDF5 structures to read (${what}); the file is damaged or hostile`,
      );
    }
  }
  /** Charges `bytes` of inflated output (before inflating it). */
  inflate(bytes: number, where: string): void {
    if (bytes > this.inflated) {
      throw new H5Damaged(
        `${where}: its deflated rows inflate to more than this file's limit of ${this.maxInflated} bytes ` +
          `(${INFLATE_BASE} plus ${INFLATE_RATIO} times the file's size); a deflate bomb, ` +
          `or compressed far beyond what data compresses to`,
      );
    }
    this.inflated -= bytes;
  }
}

/** What the superblock says. */
export interface Superblock {
  version: number;
  offsetSize: number;
  lengthSize: number;
  /** Absolute address that the file's addresses count from. */
  base: number;
  rootAddress: number;
  /** Root group's symbol table (superblocks 0 and 1 cache it), or null. */
  rootSymbolTable: { btree: number; heap: number } | null;
}

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** Finds and reads the superblock (at 0, 512, 1024, ... as HDF5 looks for it). */
export function readSuperblock(src: Source): Superblock {
  for (let at = 0; at + 8 <= src.size; at = at === 0 ? 512 : at * 2) {
    const sig = src.meta(at, 8, "the superblock signature");
    if (!SIGNATURE.every((b, i) => sig[i] === b)) continue;
    const head = src.meta(at, Math.min(src.size - at, 256), "the superblock");
    const c = new Cursor(head, "the superblock", 8);
    const version = c.u8();
    if (version === 0 || version === 1) {
      c.skip(4); // free-space, root symbol table entry, reserved, shared header versions
      const offsetSize = c.u8();
      const lengthSize = c.u8();
      checkSizes(offsetSize, lengthSize);
      c.skip(1 + 2 + 2 + 4);
      if (version === 1) c.skip(4);
      const base = c.uint(offsetSize);
      c.uint(offsetSize); // free-space info
      checkEnd(src, at, base, c.uint(offsetSize));
      const driver = c.uint(offsetSize);
      if (driver !== -1) {
        throw new H5Unsupported("a file driver information block");
      }
      c.uint(offsetSize); // link name offset
      const rootAddress = c.uint(offsetSize);
      const cacheType = c.u32();
      c.skip(4);
      let rootSymbolTable = null;
      if (cacheType === 1) {
        const btree = c.uint(offsetSize);
        const heap = c.uint(offsetSize);
        rootSymbolTable = { btree, heap };
      }
      return {
        version,
        offsetSize,
        lengthSize,
        base: base === -1 ? at : base,
        rootAddress,
        rootSymbolTable,
      };
    }
    if (version === 2 || version === 3) {
      const offsetSize = c.u8();
      const lengthSize = c.u8();
      checkSizes(offsetSize, lengthSize);
      c.skip(1);
      const base = c.uint(offsetSize);
      c.uint(offsetSize); // superblock extension (shared message tables are refused where they matter)
      checkEnd(src, at, base, c.uint(offsetSize));
      const rootAddress = c.uint(offsetSize);
      return {
        version,
        offsetSize,
        lengthSize,
        base: base === -1 ? at : base,
        rootAddress,
        rootSymbolTable: null,
      };
    }
    throw new H5Unsupported(`superblock version ${version}`);
  }
  throw new H5Damaged("no HDF5 signature");
}

/** HDF5 refuses a file shorter than its superblock's end-of-file address: so do we. */
function checkEnd(src: Source, at: number, base: number, end: number): void {
  const eof = (base === -1 ? at : base) + end;
  if (end !== -1 && eof > src.size) {
    throw new H5Damaged(
      `the file is truncated: its superblock says ${eof} bytes, it has ${src.size}`,
    );
  }
}

function checkSizes(offsetSize: number, lengthSize: number): void {
  if (![2, 4, 8].includes(offsetSize) || ![2, 4, 8].includes(lengthSize)) {
    throw new H5Unsupported(
      `addresses of ${offsetSize} and lengths of ${lengthSize} bytes`,
    );
  }
}

/** One header message. */
export interface Message {
  type: number;
  flags: number;
  data: Uint8Array;
}

// message types
export const MSG = {
  NIL: 0,
  DATASPACE: 1,
  LINK_INFO: 2,
  DATATYPE: 3,
  FILL_OLD: 4,
  FILL: 5,
  LINK: 6,
  EXTERNAL_FILES: 7,
  LAYOUT: 8,
  FILTERS: 11,
  ATTRIBUTE: 12,
  CONTINUATION: 16,
  SYMBOL_TABLE: 17,
  ATTRIBUTE_INFO: 21,
} as const;

/** The file's structures, read through one source with one budget. */
export class H5Format {
  readonly src: Source;
  readonly sb: Superblock;
  readonly budget: Budget;
  readonly #headers = new Map<number, Message[]>();

  constructor(src: Source, budget = new Budget(), superblock?: Superblock) {
    this.src = src;
    this.budget = budget;
    this.sb = superblock ?? readSuperblock(src);
  }

  /** Whether the object at `address` is a group (neither a dataset nor a named type). */
  isGroup(address: number): boolean {
    return !this.header(address).some((m) =>
      m.type === MSG.LAYOUT || m.type === MSG.DATATYPE
    );
  }

  /** Throws H5External when the object keeps its data in other files. */
  checkSelfContained(address: number, where: string): void {
    for (const m of this.header(address)) {
      if (m.type === MSG.EXTERNAL_FILES) {
        throw new H5External(`${where} keeps its data in external files`);
      }
      if (m.type === MSG.LAYOUT && m.data.length >= 3) {
        const version = m.data[0];
        const cls = version >= 3 ? m.data[1] : m.data[2];
        if (cls === 3) {
          throw new H5External(
            `${where} is a virtual dataset, whose data lives in other files`,
          );
        }
      }
    }
  }

  /** Absolute position of a file address. */
  abs(address: number): number {
    return this.sb.base + address;
  }

  cursor(address: number, length: number, what: string): Cursor {
    return new Cursor(this.src.meta(this.abs(address), length, what), what);
  }

  /** A cursor on at most `most` bytes from `address` (fewer at the end of the file). */
  cursorUpTo(address: number, most: number, what: string): Cursor {
    const at = this.abs(address);
    if (address < 0 || at >= this.src.size) {
      throw new H5Damaged(`${what} at ${address} lies outside the file`);
    }
    return new Cursor(
      this.src.meta(at, Math.min(most, this.src.size - at), what),
      what,
    );
  }

  get O(): number {
    return this.sb.offsetSize;
  }

  get L(): number {
    return this.sb.lengthSize;
  }

  /** The messages of the object header at `address`. */
  header(address: number): Message[] {
    const cached = this.#headers.get(address);
    if (cached) return cached;
    this.budget.spend("object header");
    const first = this.cursorUpTo(address, 16, "an object header");
    const messages = first.bytes[0] === 1 && first.bytes.length >= 16
      ? this.#headerV1(address)
      : this.#headerV2(address);
    for (const m of messages) {
      // a message in the shared message table, or a shared datatype: not in our subset
      if ((m.flags & 0x02) !== 0 && m.type !== MSG.NIL) {
        throw new H5Unsupported(`a shared header message (type ${m.type})`);
      }
    }
    this.#headers.set(address, messages);
    return messages;
  }

  #headerV1(address: number): Message[] {
    const c = this.cursor(address, 16, "an object header");
    c.skip(2);
    const count = c.u16();
    c.skip(4);
    const size = c.u32();
    const out: Message[] = [];
    const blocks: [number, number][] = [[address + 16, size]];
    const seen = new Set<number>();
    while (blocks.length > 0) {
      const [at, length] = blocks.shift()!;
      if (seen.has(at)) throw new H5Damaged("an object header loops");
      seen.add(at);
      this.budget.spend("object header block");
      const b = this.cursor(at, length, "an object header");
      while (b.left >= 8 && out.length < count) {
        const type = b.u16();
        const n = b.u16();
        const flags = b.u8();
        b.skip(3);
        const data = b.take(n);
        b.skip(Math.min(b.left, (8 - (n % 8)) % 8));
        if (type === MSG.CONTINUATION) {
          const cc = new Cursor(data, "a continuation message");
          blocks.push([cc.uint(this.O), cc.uint(this.L)]);
        } else out.push({ type, flags, data });
        if (out.length + blocks.length > 100_000) {
          throw new H5Damaged("an object header with too many messages");
        }
      }
    }
    return out;
  }

  #headerV2(address: number): Message[] {
    const head = this.cursorUpTo(address, 64, "an object header");
    head.signature("OHDR");
    const version = head.u8();
    if (version !== 2) {
      throw new H5Unsupported(`object header version ${version}`);
    }
    const flags = head.u8();
    if (flags & 0x20) head.skip(16);
    if (flags & 0x10) head.skip(4);
    const chunk0 = head.uint(1 << (flags & 3));
    const out: Message[] = [];
    const orderBytes = flags & 0x04 ? 2 : 0;
    const blocks: [number, number, boolean][] = [[
      address + head.pos,
      chunk0,
      true,
    ]];
    const seen = new Set<number>();
    while (blocks.length > 0) {
      const [at, length, first] = blocks.shift()!;
      if (seen.has(at)) throw new H5Damaged("an object header loops");
      seen.add(at);
      this.budget.spend("object header block");
      let b: Cursor;
      if (first) {
        b = this.cursor(at, length, "an object header");
      } else {
        const whole = this.cursor(at, length, "an object header continuation");
        whole.signature("OCHK");
        if (length < 8) throw new H5Damaged("a short header continuation");
        b = new Cursor(
          whole.bytes.subarray(4, length - 4),
          "an object header continuation",
        );
      }
      const header = 4 + orderBytes;
      while (b.left >= header) {
        const type = b.u8();
        const n = b.u16();
        const mflags = b.u8();
        b.skip(orderBytes);
        const data = b.take(n);
        if (type === MSG.CONTINUATION) {
          const cc = new Cursor(data, "a continuation message");
          blocks.push([cc.uint(this.O), cc.uint(this.L), false]);
        } else out.push({ type, flags: mflags, data });
        if (out.length + blocks.length > 100_000) {
          throw new H5Damaged("an object header with too many messages");
        }
      }
    }
    return out;
  }

  /** The links of a group: name to object header address, in name order. */
  links(address: number): Map<string, number> {
    const messages = this.header(address);
    const out = new Map<string, number>();
    for (const m of messages) {
      if (m.type === MSG.SYMBOL_TABLE) {
        const c = new Cursor(m.data, "a symbol table message");
        this.#symbolTable(c.uint(this.O), c.uint(this.O), out);
      } else if (m.type === MSG.LINK) {
        const link = this.#link(m.data);
        if (link !== null) out.set(link[0], link[1]);
      } else if (m.type === MSG.LINK_INFO) {
        const c = new Cursor(m.data, "a link info message");
        c.u8();
        const flags = c.u8();
        if (flags & 1) c.skip(8);
        const heap = c.uint(this.O);
        const btree = c.uint(this.O);
        if (heap !== -1 && btree !== -1) {
          for (const record of this.#btree2(btree, 5)) {
            // name hash (4), then the heap id
            const link = this.#link(
              this.#heapObject(heap, record.subarray(4)),
            );
            if (link !== null) out.set(link[0], link[1]);
          }
        }
      }
    }
    return new Map([...out].sort((a, b) => a[0] < b[0] ? -1 : 1));
  }

  /** A link message's name and target, or null for a soft link (which names nothing outside). */
  #link(data: Uint8Array): [string, number] | null {
    const c = new Cursor(data, "a link message");
    const version = c.u8();
    if (version !== 1) {
      throw new H5Unsupported(`link message version ${version}`);
    }
    const flags = c.u8();
    const type = flags & 0x08 ? c.u8() : 0;
    if (flags & 0x04) c.skip(8);
    if (flags & 0x10) c.skip(1);
    const nameLength = c.uint(1 << (flags & 3));
    const name = utf8.decode(c.take(nameLength));
    if (type === 0) return [name, c.uint(this.O)];
    if (type === 1) return null;
    if (type === 64) {
      const n = c.u16();
      const info = c.take(n);
      const parts = utf8.decode(info.subarray(1)).split("\0");
      throw new H5External(
        `"${name}" is an external link to ${parts[1] ?? "?"} in the file ${
          parts[0] ?? "?"
        }`,
      );
    }
    throw new H5Unsupported(`link type ${type}`);
  }

  #symbolTable(
    btree: number,
    heap: number,
    out: Map<string, number>,
  ): void {
    const names = this.#localHeap(heap);
    const name = (offset: number): string => {
      if (offset < 0 || offset >= names.length) {
        throw new H5Damaged("a symbol's name lies outside its heap");
      }
      let end = offset;
      while (end < names.length && names[end] !== 0) end++;
      return utf8.decode(names.subarray(offset, end));
    };
    for (const snod of this.#btree1(btree, 0, null)) {
      this.budget.spend("symbol table node");
      const c = this.cursorUpTo(snod.child, 8, "a symbol table node");
      c.signature("SNOD");
      c.skip(2);
      const count = c.u16();
      const entry = 2 * this.O + 24;
      const e = this.cursor(
        snod.child + 8,
        count * entry,
        "a symbol table node",
      );
      for (let i = 0; i < count; i++) {
        const nameOffset = e.uint(this.O);
        const target = e.uint(this.O);
        e.skip(24);
        out.set(name(nameOffset), target);
        if (out.size > 1_000_000) throw new H5Damaged("a group too large");
      }
    }
  }

  #localHeap(address: number): Uint8Array {
    const c = this.cursor(address, 8 + 2 * this.L + this.O, "a local heap");
    c.signature("HEAP");
    c.skip(4);
    const size = c.uint(this.L);
    c.uint(this.L);
    const data = c.uint(this.O);
    return this.src.meta(this.abs(data), size, "a local heap's data");
  }

  /**
   * The children of a v1 B-tree (type 0: groups, 1: chunks), in key order.
   * For chunks, `keep` may skip subtrees whose chunks are not wanted (given
   * the first dimension's offsets of a child's first key and of the next).
   */
  btree1(
    address: number,
    type: 0 | 1,
    keySize: number,
    keep: ((from: number, to: number) => boolean) | null,
  ): { key: Uint8Array; child: number; next: Uint8Array | null }[] {
    return this.#btree1(address, type, keep, keySize);
  }

  #btree1(
    address: number,
    type: 0 | 1,
    keep: ((from: number, to: number) => boolean) | null,
    keySize = this.L,
  ): { key: Uint8Array; child: number; next: Uint8Array | null }[] {
    const out: { key: Uint8Array; child: number; next: Uint8Array | null }[] =
      [];
    const stack: [number, number][] = [[address, -1]];
    const seen = new Set<number>();
    while (stack.length > 0) {
      const [at, expectLevel] = stack.pop()!;
      if (seen.has(at)) throw new H5Damaged("a B-tree loops");
      seen.add(at);
      this.budget.spend("B-tree node");
      const head = this.cursor(at, 8 + 2 * this.O, "a B-tree node");
      head.signature("TREE");
      const nodeType = head.u8();
      const level = head.u8();
      const entries = head.u16();
      if (nodeType !== type) throw new H5Damaged("a B-tree of the wrong kind");
      if (expectLevel >= 0 && level !== expectLevel) {
        throw new H5Damaged("a B-tree whose levels disagree");
      }
      const c = this.cursor(
        at + 8 + 2 * this.O,
        entries * (keySize + this.O) + keySize,
        "a B-tree node",
      );
      const children: { key: Uint8Array; child: number; next: Uint8Array }[] =
        [];
      for (let i = 0; i < entries; i++) {
        const key = c.take(keySize);
        const child = c.uint(this.O);
        const next = c.bytes.subarray(c.pos, c.pos + keySize);
        children.push({ key, child, next });
      }
      if (level === 0) {
        out.push(...children);
      } else {
        // depth first, in order: push in reverse
        for (let i = children.length - 1; i >= 0; i--) {
          const ch = children[i];
          if (
            keep && type === 1 &&
            !keep(firstOffset(ch.key), firstOffset(ch.next))
          ) continue;
          stack.push([ch.child, level - 1]);
        }
      }
      if (out.length > 10_000_000) throw new H5Damaged("a B-tree too large");
    }
    return out;
  }

  /** The records of a v2 B-tree of `type`. */
  #btree2(address: number, type: number): Uint8Array[] {
    const c = this.cursor(address, 16 + this.O + 2 + this.L, "a v2 B-tree");
    c.signature("BTHD");
    c.u8();
    if (c.u8() !== type) throw new H5Damaged("a v2 B-tree of the wrong kind");
    const nodeSize = c.u32();
    const recordSize = c.u16();
    const depth = c.u16();
    c.skip(2);
    const root = c.uint(this.O);
    const rootCount = c.u16();
    if (recordSize === 0 || nodeSize < 10 || depth > 32) {
      throw new H5Damaged("a v2 B-tree with impossible sizes");
    }
    // the byte widths of child record counts, as HDF5 derives them from the node size
    const maxRecords: number[] = [];
    const cumMax: number[] = [];
    const ptrExtra: number[] = [];
    maxRecords[0] = Math.floor((nodeSize - 10) / recordSize);
    cumMax[0] = maxRecords[0];
    for (let d = 1; d <= depth; d++) {
      const extra = encSize(maxRecords[d - 1]) +
        (d > 1 ? encSize(cumMax[d - 1]) : 0);
      ptrExtra[d] = extra;
      const ptr = this.O + extra;
      maxRecords[d] = Math.floor((nodeSize - (10 + ptr)) / (recordSize + ptr));
      cumMax[d] = (maxRecords[d] + 1) * cumMax[d - 1] + maxRecords[d];
      if (!Number.isSafeInteger(cumMax[d])) cumMax[d] = Number.MAX_SAFE_INTEGER;
    }
    const out: Uint8Array[] = [];
    const stack: [number, number, number][] = [[root, rootCount, depth]];
    while (stack.length > 0) {
      const [at, count, d] = stack.pop()!;
      if (at === -1) continue;
      this.budget.spend("v2 B-tree node");
      if (count > maxRecords[d]) {
        throw new H5Damaged("a v2 B-tree node with too many records");
      }
      const n = this.cursorUpTo(at, nodeSize, "a v2 B-tree node");
      n.signature(d === 0 ? "BTLF" : "BTIN");
      n.skip(2);
      for (let i = 0; i < count; i++) out.push(n.take(recordSize));
      if (d > 0) {
        for (let i = 0; i <= count; i++) {
          const child = n.uint(this.O);
          const childCount = n.uint(encSize(maxRecords[d - 1]));
          if (d > 1) n.skip(encSize(cumMax[d - 1]));
          stack.push([child, childCount, d - 1]);
        }
      }
      if (out.length > 1_000_000) throw new H5Damaged("a v2 B-tree too large");
    }
    return out;
  }

  readonly #heaps = new Map<number, FractalHeap>();

  /** The bytes of an object in a fractal heap, by its heap id. */
  #heapObject(heapAddress: number, id: Uint8Array): Uint8Array {
    let heap = this.#heaps.get(heapAddress);
    if (heap === undefined) {
      heap = new FractalHeap(this, heapAddress);
      this.#heaps.set(heapAddress, heap);
    }
    return heap.get(id);
  }

  /** An object's attributes, by name: their messages, parsed with `parseAttribute` when read. */
  attributes(address: number): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    for (const m of this.header(address)) {
      if (m.type === MSG.ATTRIBUTE) {
        out.set(attributeName(m.data), m.data);
      } else if (m.type === MSG.ATTRIBUTE_INFO) {
        const c = new Cursor(m.data, "an attribute info message");
        c.u8();
        const flags = c.u8();
        if (flags & 1) c.skip(2);
        const heap = c.uint(this.O);
        const btree = c.uint(this.O);
        if (heap !== -1 && btree !== -1) {
          for (const record of this.#btree2(btree, 8)) {
            const data = this.#heapObject(heap, record.subarray(0, 8));
            out.set(attributeName(data), data);
          }
        }
      }
    }
    return out;
  }
}

/** The first dimension's offset in a chunk key (-1 for the end of the keys). */
function firstOffset(key: Uint8Array): number {
  if (key.length < 16) return Number.MAX_SAFE_INTEGER;
  const v = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const lo = v.getUint32(8, true);
  const hi = v.getUint32(12, true);
  return hi * 4294967296 + lo;
}

/** Bytes needed to hold `n` (HDF5's H5VM_limit_enc_size). */
function encSize(n: number): number {
  return Math.floor(Math.log2(Math.max(1, n)) / 8) + 1;
}

const utf8 = new TextDecoder();

/** A fractal heap's managed objects (direct blocks, under indirect blocks nested up to 8 deep). */
class FractalHeap {
  readonly #f: H5Format;
  readonly #idOffsetBytes: number;
  readonly #idLengthBytes: number;
  readonly #blocks: { offset: number; address: number; size: number }[] = [];

  constructor(f: H5Format, address: number) {
    this.#f = f;
    f.budget.spend("fractal heap");
    const O = f.O, L = f.L;
    const c = f.cursor(
      address,
      4 + 1 + 2 + 2 + 1 + 4 + L + O + L + O + 4 * L + 4 * L + 2 + L + L + 2 +
        2 + O + 2,
      "a fractal heap",
    );
    c.signature("FRHP");
    c.u8();
    c.u16(); // heap id length
    const filterLength = c.u16();
    if (filterLength !== 0) throw new H5Unsupported("a filtered fractal heap");
    c.u8();
    const maxManaged = c.u32();
    c.uint(L);
    c.uint(O);
    c.uint(L);
    c.uint(O);
    c.skip(4 * L); // managed space, allocated, iterator offset, managed objects
    c.skip(4 * L); // huge and tiny sizes and counts
    const width = c.u16();
    const startSize = c.uint(L);
    const maxDirect = c.uint(L);
    const maxHeapBits = c.u16();
    c.u16();
    const root = c.uint(O);
    const rows = c.u16();
    this.#idOffsetBytes = Math.ceil(maxHeapBits / 8);
    this.#idLengthBytes = Math.min(
      Math.ceil(Math.log2(Math.max(1, maxDirect)) / 8),
      encSize(maxManaged),
    );
    if (
      width === 0 || width > 65536 || startSize <= 0 || maxDirect <= 0 ||
      maxHeapBits > 64
    ) throw new H5Damaged("a fractal heap with impossible sizes");
    if (root === -1) return;
    if (rows === 0) {
      this.#blocks.push({ offset: 0, address: root, size: startSize });
      return;
    }
    // a root indirect block: its first rows hold direct blocks, later rows
    // indirect blocks (each spanning its row's block size), read recursively
    const maxDirectRows = Math.log2(maxDirect) - Math.log2(startSize) + 2;
    if (!Number.isInteger(maxDirectRows) || rows > 64) {
      throw new H5Damaged("a fractal heap with impossible sizes");
    }
    const indirect = (
      address: number,
      nrows: number,
      base: number,
      depth: number,
    ) => {
      if (depth > 8) throw new H5Damaged("a fractal heap nested too deep");
      f.budget.spend("fractal heap indirect block");
      const ib = f.cursor(
        address,
        4 + 1 + O + this.#idOffsetBytes + nrows * width * O,
        "a fractal heap indirect block",
      );
      ib.signature("FHIB");
      ib.u8();
      ib.uint(O);
      if (ib.uint(this.#idOffsetBytes) !== base) {
        throw new H5Damaged("a fractal heap indirect block at a wrong offset");
      }
      for (let r = 0; r < nrows; r++) {
        const size = r === 0 ? startSize : startSize * 2 ** (r - 1);
        const rowOffset = r === 0 ? 0 : width * startSize * 2 ** (r - 1);
        for (let k = 0; k < width; k++) {
          const at = ib.uint(O);
          if (at === -1) continue;
          const offset = base + rowOffset + k * size;
          if (r < maxDirectRows) {
            this.#blocks.push({ offset, address: at, size });
          } else {
            // an indirect block spanning `size` bytes of the heap
            const childRows = Math.log2(size / (width * startSize)) + 1;
            if (!Number.isInteger(childRows) || childRows < 1) {
              throw new H5Damaged("a fractal heap with impossible sizes");
            }
            indirect(at, childRows, offset, depth + 1);
          }
          if (this.#blocks.length > 1_000_000) {
            throw new H5Damaged("a fractal heap with too many blocks");
          }
        }
      }
    };
    indirect(root, rows, 0, 0);
    this.#blocks.sort((a, b) => a.offset - b.offset);
  }

  /** The direct block holding heap offset `offset` (binary search), or undefined. */
  #block(offset: number) {
    const blocks = this.#blocks;
    let lo = 0, hi = blocks.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const b = blocks[mid];
      if (offset < b.offset) hi = mid - 1;
      else if (offset >= b.offset + b.size) lo = mid + 1;
      else return b;
    }
    return undefined;
  }

  get(id: Uint8Array): Uint8Array {
    const c = new Cursor(id, "a heap id");
    const flags = c.u8();
    const type = (flags >> 4) & 3;
    if (type === 2) {
      // tiny: the object is in the id itself
      const n = (flags & 0x0f) + 1;
      return c.take(n);
    }
    if (type !== 0) throw new H5Unsupported("a huge fractal heap object");
    const offset = c.uint(this.#idOffsetBytes);
    const length = c.uint(this.#idLengthBytes);
    const block = this.#block(offset);
    if (block === undefined || offset + length > block.offset + block.size) {
      throw new H5Damaged("a heap object outside its heap's blocks");
    }
    this.#f.budget.spend("heap object");
    return this.#f.src.meta(
      this.#f.abs(block.address + offset - block.offset),
      length,
      "a heap object",
    );
  }
}

/** An HDF5 datatype, as much as our subset needs. */
export interface Datatype {
  /** 0 integer, 1 float, 3 string, 4 bitfield, 6 compound, 10 array, others as HDF5 numbers them. */
  cls: number;
  size: number;
  signed: boolean;
  littleEndian: boolean;
  /** Strings: 0 ASCII, 1 UTF-8. */
  cset: number;
  /** Strings: 0 NUL-terminated, 1 NUL-padded, 2 space-padded. */
  strpad: number;
  /** Variable-length (class 9): decoded as "no bytes". */
  vlen: boolean;
  members?: { name: string; offset: number; type: Datatype }[];
  base?: Datatype;
  dims?: number[];
}

/** Reads a datatype message (or an embedded datatype) from the cursor. */
export function parseDatatype(c: Cursor, depth = 0): Datatype {
  if (depth > 16) throw new H5Damaged("a datatype nested too deep");
  const start = c.pos;
  const b0 = c.u8();
  const cls = b0 & 0x0f;
  const version = b0 >> 4;
  const bits = c.u8() | (c.u8() << 8) | (c.u8() << 16);
  const size = c.u32();
  const t: Datatype = {
    cls,
    size,
    signed: false,
    littleEndian: (bits & 1) === 0,
    cset: 0,
    strpad: 0,
    vlen: false,
  };
  switch (cls) {
    case 0: // integer
      t.signed = (bits & 0x08) !== 0;
      c.skip(4);
      break;
    case 1: // float
      t.signed = false;
      if (bits & 0x40) throw new H5Unsupported("VAX floats");
      c.skip(12);
      break;
    case 3: // string
      t.littleEndian = false;
      t.strpad = bits & 0x0f;
      t.cset = (bits >> 4) & 0x0f;
      break;
    case 4: // bitfield
      c.skip(4);
      break;
    case 6: {
      const count = bits & 0xffff;
      t.members = [];
      const offsetBytes = size < 256
        ? 1
        : size < 65536
        ? 2
        : size < 16777216
        ? 3
        : 4;
      for (let i = 0; i < count; i++) {
        const nameStart = c.pos;
        const name = c.cstring();
        if (version < 3) {
          c.pos = nameStart + Math.ceil((c.pos - nameStart) / 8) * 8;
        }
        const offset = version >= 3 ? c.uint(offsetBytes) : c.u32();
        let dims: number[] | null = null;
        if (version === 1) {
          const ndims = c.u8();
          c.skip(3 + 4 + 4);
          const all = [c.u32(), c.u32(), c.u32(), c.u32()];
          if (ndims > 0) dims = all.slice(0, ndims);
        }
        let type = parseDatatype(c, depth + 1);
        if (dims !== null) {
          type = {
            cls: 10,
            size: type.size * dims.reduce((a, b) => a * b, 1),
            signed: false,
            littleEndian: type.littleEndian,
            cset: 0,
            strpad: 0,
            vlen: false,
            base: type,
            dims,
          };
        }
        if (offset + type.size > size) {
          throw new H5Damaged(`compound member ${name} lies outside its row`);
        }
        t.members.push({ name, offset, type });
      }
      break;
    }
    case 9: { // variable length: kept as metadata only
      t.vlen = true;
      const base = parseDatatype(c, depth + 1);
      if ((bits & 0x0f) === 1) {
        t.cls = 3;
        t.cset = (bits >> 8) & 0x0f;
      } else t.base = base;
      break;
    }
    case 10: {
      const ndims = c.u8();
      if (version < 3) c.skip(3);
      const dims: number[] = [];
      for (let i = 0; i < ndims; i++) dims.push(c.u32());
      if (version < 3) c.skip(4 * ndims);
      t.dims = dims;
      t.base = parseDatatype(c, depth + 1);
      t.littleEndian = t.base.littleEndian;
      break;
    }
    default:
      throw new H5Unsupported(`HDF5 datatype class ${cls}`);
  }
  if (c.pos - start > 1 << 20) throw new H5Damaged("a datatype too large");
  return t;
}

/** A dataspace's shape: null for a null dataspace, [] for a scalar. */
export function parseDataspace(
  c: Cursor,
  lengthSize: number,
): { shape: number[] | null; maxshape: number[] | null } {
  const version = c.u8();
  const ndims = c.u8();
  const flags = c.u8();
  let type = ndims === 0 ? 0 : 1;
  if (version === 1) c.skip(5);
  else if (version === 2) type = c.u8();
  else throw new H5Unsupported(`dataspace version ${version}`);
  if (ndims > 32) throw new H5Damaged("a dataspace of more than 32 dimensions");
  const shape: number[] = [];
  for (let i = 0; i < ndims; i++) shape.push(c.uint(lengthSize));
  let maxshape: number[] | null = null;
  if (flags & 1) {
    maxshape = [];
    for (let i = 0; i < ndims; i++) maxshape.push(c.uint(lengthSize));
  }
  if (type === 2) return { shape: null, maxshape: null };
  return { shape, maxshape };
}

/** An attribute: its name, type, shape and raw bytes. */
export interface RawAttribute {
  name: string;
  type: Datatype;
  shape: number[] | null;
  bytes: Uint8Array;
}

/** The name in an attribute message (what listing attributes needs). */
function attributeName(data: Uint8Array): string {
  // version, reserved, name size (2), datatype and dataspace sizes (2 + 2),
  // then (version 3) the name's character set: read in place, no cursor
  const start = data[0] === 3 ? 9 : 8;
  const nameSize = data.length >= 4 ? data[2] | (data[3] << 8) : 0;
  if (data.length < start + nameSize) {
    throw new H5Damaged(
      `an attribute message ends early (needs ${nameSize} bytes at ${start} of ${data.length})`,
    );
  }
  let end = start;
  let ascii = true;
  while (end < start + nameSize && data[end] !== 0) {
    if (data[end] >= 0x80) ascii = false;
    end++;
  }
  if (!ascii) return utf8.decode(data.subarray(start, end));
  let name = "";
  for (let i = start; i < end; i++) name += String.fromCharCode(data[i]);
  return name;
}

/** Reads an attribute message: its name, type, shape and bytes. */
export function parseAttribute(
  lengthSize: number,
  data: Uint8Array,
): RawAttribute {
  const c = new Cursor(data, "an attribute message");
  const version = c.u8();
  const flags = c.u8();
  const nameSize = c.u16();
  const typeSize = c.u16();
  const spaceSize = c.u16();
  if (version === 3) c.skip(1);
  else if (version !== 1 && version !== 2) {
    throw new H5Unsupported(`attribute message version ${version}`);
  }
  if (version >= 2 && (flags & 3) !== 0) {
    throw new H5Unsupported("a shared attribute datatype or dataspace");
  }
  const pad = (n: number) => version === 1 ? Math.ceil(n / 8) * 8 : n;
  const nameBytes = c.take(pad(nameSize));
  let end = 0;
  while (end < nameSize && nameBytes[end] !== 0) end++;
  const name = utf8.decode(nameBytes.subarray(0, end));
  const typeBytes = c.take(pad(typeSize));
  const type = parseDatatype(new Cursor(typeBytes, `attribute ${name}'s type`));
  const spaceBytes = c.take(pad(spaceSize));
  const { shape } = parseDataspace(
    new Cursor(spaceBytes, `attribute ${name}'s dataspace`),
    lengthSize,
  );
  const count = shape === null ? 0 : shape.reduce((a, b) => a * b, 1);
  const n = type.vlen ? 0 : count * type.size;
  if (!Number.isSafeInteger(n) || n > c.left) {
    throw new H5Damaged(`attribute ${name} claims more bytes than it holds`);
  }
  return { name, type, shape, bytes: c.take(n) };
}

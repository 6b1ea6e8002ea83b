/**
 * HDF5 compound row types that h5wasm 0.10.3 cannot build: pandas' value
 * blocks are *array* members (`values_block_0: float64[3000]`) and its bools
 * 8-bit bitfields, and h5wasm's C layer creates neither.
 *
 * We build them ourselves: the dataset is created through h5wasm with a
 * stand-in compound of the same size (each field a fixed string of the
 * field's bytes, so rows, chunks and fill values are already right), the
 * file is closed, the stand-in's datatype message in the dataset's object
 * header is overwritten with the real one (encoded here, as HDF5 encodes
 * it; the stand-in's message is made at least as long, and the rest of it
 * is zeroed), and the file is opened again. HDF5 never rewrites a datatype
 * message it did not change, so the real type stays.
 *
 * Cost: one close and open of the file per table created, and a few
 * hundred bytes read and written; nothing grows with the rows.
 *
 * @module
 */

import {
  type H5File,
  objectAddress,
  openFileId,
  patchFile,
  readFileBytes,
} from "./h5wasm.ts";

/** The element type of a field (or of an array field's elements). */
export type BaseType =
  | { class: "int"; size: 1 | 2 | 4 | 8; signed: boolean }
  | { class: "float"; size: 4 | 8 }
  | { class: "bitfield"; size: 1 }
  | { class: "string"; size: number };

/** One member of a compound row type: a scalar, or `count` contiguous elements. */
export interface FieldType {
  name: string;
  offset: number;
  base: BaseType;
  /** When set, the field is a one-dimensional array of this many elements. */
  count?: number;
}

const encoder = new TextEncoder();

class Bytes {
  readonly out: number[] = [];
  u8(v: number): this {
    this.out.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v).u8(v >>> 8);
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }
  raw(bytes: ArrayLike<number>): this {
    for (let i = 0; i < bytes.length; i++) this.out.push(bytes[i]);
    return this;
  }
}

/** The datatype message of one element type (version 1, as HDF5 writes them). */
function encodeBase(b: Bytes, t: BaseType): void {
  switch (t.class) {
    case "int":
      b.u8(0x10).u8(t.signed ? 0x08 : 0).u8(0).u8(0).u32(t.size);
      b.u16(0).u16(8 * t.size);
      return;
    case "float":
      if (t.size === 8) {
        b.u8(0x11).u8(0x20).u8(63).u8(0).u32(8);
        b.u16(0).u16(64).u8(52).u8(11).u8(0).u8(52).u32(1023);
      } else {
        b.u8(0x11).u8(0x20).u8(31).u8(0).u32(4);
        b.u16(0).u16(32).u8(23).u8(8).u8(0).u8(23).u32(127);
      }
      return;
    case "bitfield":
      b.u8(0x14).u8(0).u8(0).u8(0).u32(1).u16(0).u16(8);
      return;
    case "string":
      // null-terminated, ASCII: what PyTables writes for bytes columns
      b.u8(0x13).u8(0).u8(0).u8(0).u32(t.size);
      return;
  }
}

function nameBytes(name: string): Uint8Array {
  const bytes = encoder.encode(name);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

function fieldSize(f: FieldType): number {
  return f.base.size * (f.count ?? 1);
}

/** Bytes of a member offset in a version-3 compound of `size` bytes. */
function offsetBytes(size: number): number {
  return size < 0x100 ? 1 : size < 0x10000 ? 2 : size < 0x1000000 ? 3 : 4;
}

/**
 * The datatype message of a compound, version 3 (what HDF5 writes in files
 * whose format is 1.8 or later, as h5wasm's are): member names unpadded,
 * offsets in as few bytes as the compound's size needs, array members
 * (version 3) of version-1 element types.
 */
export function encodeCompound(
  fields: readonly FieldType[],
  size: number,
): Uint8Array {
  const b = new Bytes();
  const ob = offsetBytes(size);
  b.u8(0x36).u16(fields.length).u8(0).u32(size);
  for (const f of fields) {
    b.raw(nameBytes(f.name));
    for (let i = 0; i < ob; i++) b.u8(Math.floor(f.offset / 256 ** i));
    if (f.count === undefined) {
      encodeBase(b, f.base);
    } else {
      b.u8(0x3a).u8(0).u8(0).u8(0).u32(fieldSize(f));
      b.u8(1).u32(f.count);
      encodeBase(b, f.base);
    }
  }
  return new Uint8Array(b.out);
}

/** The length of the version-3 message HDF5 writes for the stand-in compound. */
function standInLength(names: readonly string[], size: number): number {
  // header 8; per member: name, offset, string type 8
  const ob = offsetBytes(size);
  return 8 +
    names.reduce((n, name) => n + nameBytes(name).length + ob + 8, 0);
}

/**
 * The stand-in compound's h5wasm metadata: the real fields as fixed
 * strings, the first name lengthened (with a suffix the patch removes)
 * until the stand-in's message is at least as long as the real one.
 */
export function standIn(
  fields: readonly FieldType[],
  size: number,
): { metadata: Record<string, unknown>; messageLength: number } {
  const real = encodeCompound(fields, size).length;
  const names = fields.map((f) => f.name);
  const short = real - standInLength(names, size);
  if (short > 0) names[0] += "_".repeat(short);
  const members = fields.map((f, i) => ({
    name: names[i],
    offset: f.offset,
    type: 3,
    size: fieldSize(f),
    cset: 0,
    vlen: false,
    signed: false,
    littleEndian: true,
  }));
  return {
    metadata: {
      type: 6,
      size,
      vlen: false,
      signed: false,
      littleEndian: true,
      compound_type: { members, nmembers: members.length },
    },
    messageLength: standInLength(names, size),
  };
}

/** Jenkins' lookup3 hash (`hashlittle`, byte by byte), HDF5's metadata checksum. */
export function lookup3(k: Uint8Array, initval = 0): number {
  let length = k.length;
  let a = (0xdeadbeef + length + initval) >>> 0;
  let b = a;
  let c = a;
  const rot = (x: number, n: number) => ((x << n) | (x >>> (32 - n))) >>> 0;
  let o = 0;
  while (length > 12) {
    a = (a + (k[o] | k[o + 1] << 8 | k[o + 2] << 16 | k[o + 3] << 24)) >>> 0;
    b = (b + (k[o + 4] | k[o + 5] << 8 | k[o + 6] << 16 | k[o + 7] << 24)) >>>
      0;
    c = (c + (k[o + 8] | k[o + 9] << 8 | k[o + 10] << 16 | k[o + 11] << 24)) >>>
      0;
    a = (a - c) >>> 0;
    a = (a ^ rot(c, 4)) >>> 0;
    c = (c + b) >>> 0;
    b = (b - a) >>> 0;
    b = (b ^ rot(a, 6)) >>> 0;
    a = (a + c) >>> 0;
    c = (c - b) >>> 0;
    c = (c ^ rot(b, 8)) >>> 0;
    b = (b + a) >>> 0;
    a = (a - c) >>> 0;
    a = (a ^ rot(c, 16)) >>> 0;
    c = (c + b) >>> 0;
    b = (b - a) >>> 0;
    b = (b ^ rot(a, 19)) >>> 0;
    a = (a + c) >>> 0;
    c = (c - b) >>> 0;
    c = (c ^ rot(b, 4)) >>> 0;
    b = (b + a) >>> 0;
    length -= 12;
    o += 12;
  }
  if (length === 0) return c;
  const tail = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (let i = 0; i < length; i++) tail[i] = k[o + i];
  a = (a + (tail[0] | tail[1] << 8 | tail[2] << 16 | tail[3] << 24)) >>> 0;
  b = (b + (tail[4] | tail[5] << 8 | tail[6] << 16 | tail[7] << 24)) >>> 0;
  c = (c + (tail[8] | tail[9] << 8 | tail[10] << 16 | tail[11] << 24)) >>> 0;
  c = (c ^ b) >>> 0;
  c = (c - rot(b, 14)) >>> 0;
  a = (a ^ c) >>> 0;
  a = (a - rot(c, 11)) >>> 0;
  b = (b ^ a) >>> 0;
  b = (b - rot(a, 25)) >>> 0;
  c = (c ^ b) >>> 0;
  c = (c - rot(b, 16)) >>> 0;
  a = (a ^ c) >>> 0;
  a = (a - rot(c, 4)) >>> 0;
  b = (b ^ a) >>> 0;
  b = (b - rot(a, 14)) >>> 0;
  c = (c ^ b) >>> 0;
  c = (c - rot(b, 24)) >>> 0;
  return c;
}

/** Where one message's data sits in the file, and the checksummed chunk holding it. */
interface MessageAt {
  type: number;
  at: number;
  size: number;
  /** For version-2 headers: the chunk's start and the offset of its checksum. */
  chunk?: { start: number; checksumAt: number };
}

function u16(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000;
}
function u64(b: Uint8Array, o: number): number {
  return u32(b, o) + u32(b, o + 4) * 0x100000000;
}
function uN(b: Uint8Array, o: number, n: number): number {
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + b[o + i];
  return v;
}

const OHDR = [0x4f, 0x48, 0x44, 0x52];

/** The messages of an object header at `address` (version 1 or 2, continuations followed). */
function headerMessages(path: string, address: number): MessageAt[] {
  const prefix = readFileBytes(path, address, 32);
  const found: MessageAt[] = [];
  if (prefix[0] === 1) {
    const count = u16(prefix, 2);
    const chunks: Array<[number, number]> = [[address + 16, u32(prefix, 8)]];
    for (let c = 0; c < chunks.length && found.length < count; c++) {
      const [start, length] = chunks[c];
      const chunk = readFileBytes(path, start, length);
      for (let o = 0; o + 8 <= length && found.length < count;) {
        const type = u16(chunk, o);
        const size = u16(chunk, o + 2);
        found.push({ type, at: start + o + 8, size });
        if (type === 0x10) {
          chunks.push([u64(chunk, o + 8), u64(chunk, o + 16)]);
        }
        o += 8 + size;
      }
    }
    return found;
  }
  if (!OHDR.every((c, i) => prefix[i] === c) || prefix[4] !== 2) {
    throw new Error(`no object header at ${address}`);
  }
  const flags = prefix[5];
  let o = 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0);
  const sizeBytes = 1 << (flags & 3);
  const size0 = uN(prefix, o, sizeBytes);
  o += sizeBytes;
  const orderBytes = flags & 0x04 ? 2 : 0;
  // [start of chunk, start of messages, end of messages]
  const chunks: Array<[number, number, number]> = [[
    address,
    address + o,
    address + o + size0,
  ]];
  for (let c = 0; c < chunks.length; c++) {
    const [start, first, end] = chunks[c];
    const bytes = readFileBytes(path, first, end - first);
    for (let p = 0; p + 4 + orderBytes <= bytes.length;) {
      const type = bytes[p];
      const size = u16(bytes, p + 1);
      const at = first + p + 4 + orderBytes;
      found.push({ type, at, size, chunk: { start, checksumAt: end } });
      if (type === 0x10) {
        const block = u64(bytes, p + 4 + orderBytes);
        const length = u64(bytes, p + 12 + orderBytes);
        chunks.push([block, block + 4, block + length - 4]);
      }
      p += 4 + orderBytes + size;
    }
  }
  return found;
}

/** The raw datatype message of the dataset at `path` (from its object header on disk). */
export function datatypeMessage(file: H5File, path: string): Uint8Array {
  const address = objectAddress(file, path);
  const message = headerMessages(file.filename, address).find((m) =>
    m.type === 3
  );
  if (message === undefined) {
    throw new Error(`${path} in ${file.filename} has no datatype message`);
  }
  return readFileBytes(file.filename, message.at, message.size);
}

/**
 * A stand-in compound of one fixed-string member of `elementSize` bytes
 * whose datatype message is at least `length` bytes long.
 */
export function rawStandIn(
  elementSize: number,
  length: number,
): { metadata: Record<string, unknown>; messageLength: number } {
  const ob = offsetBytes(elementSize);
  const nameLength = Math.max(1, length - 8 - ob - 8 - 1);
  const name = "x".repeat(nameLength);
  return {
    metadata: {
      type: 6,
      size: elementSize,
      vlen: false,
      signed: false,
      littleEndian: true,
      compound_type: {
        members: [{
          name,
          offset: 0,
          type: 3,
          size: elementSize,
          cset: 0,
          vlen: false,
          signed: false,
          littleEndian: true,
        }],
        nmembers: 1,
      },
    },
    messageLength: standInLength([name], elementSize),
  };
}

/** Overwrites the datatype message at `message` (inside a checked chunk) with `bytes`, zero-padded. */
function overwriteMessage(
  path: string,
  where: string,
  message: MessageAt,
  real: Uint8Array,
): void {
  if (message.size < real.length) {
    throw new Error(
      `Cannot give ${where} in ${path} its datatype: its message has ${message.size} bytes, ${real.length} needed`,
    );
  }
  if (message.chunk !== undefined) {
    const { start, checksumAt } = message.chunk;
    const stored = u32(readFileBytes(path, checksumAt, 4), 0);
    if (stored !== lookup3(readFileBytes(path, start, checksumAt - start))) {
      throw new Error(
        `Cannot give ${where} in ${path} its datatype: its object header's checksum does not match`,
      );
    }
  }
  const bytes = new Uint8Array(message.size);
  bytes.set(real);
  patchFile(path, message.at, bytes);
  if (message.chunk !== undefined) {
    const { start, checksumAt } = message.chunk;
    const sum = lookup3(readFileBytes(path, start, checksumAt - start));
    patchFile(
      path,
      checksumAt,
      new Uint8Array([sum, sum >>> 8, sum >>> 16, sum >>> 24]),
    );
  }
}

/**
 * Turns attribute `name` of the object at header `address`, written as an
 * unsigned integer, into the bitfield of the same size it was copied from
 * (the two types' messages differ in their class alone).
 */
function patchBitfieldAttribute(
  path: string,
  address: number,
  where: string,
  name: string,
): void {
  const wanted = encoder.encode(name);
  for (const message of headerMessages(path, address)) {
    if (message.type !== 0x0c) continue;
    const b = readFileBytes(path, message.at, message.size);
    const version = b[0];
    const nameSize = u16(b, 2);
    let nameAt: number;
    let typeAt: number;
    if (version === 1) {
      nameAt = 8;
      typeAt = 8 + Math.ceil(nameSize / 8) * 8;
    } else {
      nameAt = version === 3 ? 9 : 8;
      typeAt = nameAt + nameSize;
    }
    const got = b.subarray(nameAt, nameAt + nameSize - 1);
    if (got.length !== wanted.length || got.some((c, i) => c !== wanted[i])) {
      continue;
    }
    if ((b[typeAt] & 0x0f) !== 0) break;
    const fixed = new Uint8Array([(b[typeAt] & 0xf0) | 4, 0]);
    overwriteBytes(path, message, typeAt, fixed);
    return;
  }
  throw new Error(
    `Cannot give attribute ${name} of ${where} in ${path} its bitfield type: not found in its object header`,
  );
}

/** Overwrites bytes inside a message's data (at `offset`), keeping the chunk's checksum right. */
function overwriteBytes(
  path: string,
  message: MessageAt,
  offset: number,
  bytes: Uint8Array,
): void {
  if (message.chunk !== undefined) {
    const { start, checksumAt } = message.chunk;
    const stored = u32(readFileBytes(path, checksumAt, 4), 0);
    if (stored !== lookup3(readFileBytes(path, start, checksumAt - start))) {
      throw new Error(`the object header's checksum in ${path} does not match`);
    }
  }
  patchFile(path, message.at + offset, bytes);
  if (message.chunk !== undefined) {
    const { start, checksumAt } = message.chunk;
    const sum = lookup3(readFileBytes(path, start, checksumAt - start));
    patchFile(
      path,
      checksumAt,
      new Uint8Array([sum, sum >>> 8, sum >>> 16, sum >>> 24]),
    );
  }
}

/**
 * Gives datasets made with `rawStandIn` their real datatype messages (as
 * read by `datatypeMessage`), and attributes copied as unsigned integers
 * their bitfield types. Closes and reopens `file`.
 */
export function patchRawDatatype(
  file: H5File,
  patches: readonly { path: string; message: Uint8Array; length: number }[],
  bitfields: readonly { path: string; name: string }[] = [],
): void {
  const addresses = patches.map((p) => objectAddress(file, p.path));
  const bitfieldAt = bitfields.map((b) => objectAddress(file, b.path));
  file.close();
  bitfields.forEach((b, i) =>
    patchBitfieldAttribute(file.filename, bitfieldAt[i], b.path, b.name)
  );
  patches.forEach((p, i) => {
    const message = headerMessages(file.filename, addresses[i]).find((m) =>
      m.type === 3
    );
    if (message === undefined || message.size !== p.length) {
      throw new Error(
        `Cannot give ${p.path} in ${file.filename} its datatype: its datatype message is not the one just written`,
      );
    }
    overwriteMessage(file.filename, p.path, message, p.message);
  });
  (file as { file_id: bigint }).file_id = openFileId(file.filename);
}

/**
 * Replaces the stand-in datatype of the dataset at `path` (just created with
 * `standIn(fields, size).metadata`) by the real compound. Closes and reopens
 * `file` (its `file_id` changes); call after the dataset's attributes are
 * written.
 */
export function patchCompound(
  file: H5File,
  path: string,
  fields: readonly FieldType[],
  size: number,
): void {
  const address = objectAddress(file, path);
  file.close();
  const real = encodeCompound(fields, size);
  const expected = standIn(fields, size).messageLength;
  const message = headerMessages(file.filename, address).find((m) =>
    m.type === 3
  );
  if (message === undefined || message.size < real.length) {
    throw new Error(
      `Cannot give ${path} in ${file.filename} its row type: ` +
        (message === undefined
          ? "its object header has no datatype message"
          : `its datatype message has ${message.size} bytes, ${real.length} needed`),
    );
  }
  const head = readFileBytes(file.filename, message.at, 8);
  if (
    (head[0] & 0x0f) !== 6 || message.size !== expected ||
    u16(head, 1) !== fields.length ||
    u32(head, 4) !== size
  ) {
    throw new Error(
      `Cannot give ${path} in ${file.filename} its row type: its datatype message is not the one just written`,
    );
  }
  if (message.chunk !== undefined) {
    // the chunk's checksum must check out before we touch it
    const { start, checksumAt } = message.chunk;
    const stored = u32(readFileBytes(file.filename, checksumAt, 4), 0);
    const sum = lookup3(
      readFileBytes(file.filename, start, checksumAt - start),
    );
    if (stored !== sum) {
      throw new Error(
        `Cannot give ${path} in ${file.filename} its row type: its object header's checksum does not match`,
      );
    }
  }
  const bytes = new Uint8Array(message.size);
  bytes.set(real);
  patchFile(file.filename, message.at, bytes);
  if (message.chunk !== undefined) {
    const { start, checksumAt } = message.chunk;
    const sum = lookup3(
      readFileBytes(file.filename, start, checksumAt - start),
    );
    patchFile(
      file.filename,
      checksumAt,
      new Uint8Array([sum, sum >>> 8, sum >>> 16, sum >>> 24]),
    );
  }
  (file as { file_id: bigint }).file_id = openFileId(file.filename);
}

/**
 * Protocol buffers wire format: a writer over a growable buffer and a
 * bounds-checked reader. Only what TensorBoard's messages need; no schema.
 *
 * @module
 */

/** Protobuf wire types (groups, 3 and 4, are not supported). */
export const WireType = {
  /** int32, int64, uint32, uint64, bool, enum. */
  Varint: 0,
  /** double, fixed64. */
  I64: 1,
  /** string, bytes, sub-message, packed repeated. */
  Len: 2,
  /** float, fixed32. */
  I32: 5,
} as const;

/** One of the values of {@linkcode WireType}. */
export type WireType = typeof WireType[keyof typeof WireType];

const TWO_32 = 4294967296;
const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", {
  fatal: true,
  ignoreBOM: true,
});

/** Number of bytes a non-negative varint below 2^53 takes. */
export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  let n = 5;
  for (
    let v = Math.floor(value / 0x800000000);
    v > 0;
    v = Math.floor(v / 128)
  ) n++;
  return n;
}

/**
 * Serializes protobuf fields into a growable buffer. Calls chain; nested
 * messages are written between {@linkcode ProtoWriter.fork} and
 * {@linkcode ProtoWriter.join}, which inserts the length prefix.
 *
 * @example
 * ```ts
 * import { ProtoWriter, WireType } from "./wire.ts";
 * const w = new ProtoWriter();
 * w.tag(1, WireType.Varint).uint32(150);
 * const bytes = w.finish();
 * if (bytes.join(",") !== "8,150,1") throw new Error(bytes.join(","));
 * ```
 */
export class ProtoWriter {
  /** The underlying buffer; valid bytes are `[0, pos)`. Replaced when it grows. */
  buf: Uint8Array;
  /** A DataView over {@linkcode ProtoWriter.buf}, kept in step with it. */
  view: DataView;
  /** Write position (number of valid bytes). */
  pos = 0;
  #forks: number[] = [];

  /** Creates a writer with room for `initialCapacity` bytes before it grows. */
  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
    this.view = new DataView(this.buf.buffer);
  }

  /** Makes room for `n` more bytes after {@linkcode ProtoWriter.pos}. */
  ensure(n: number): this {
    const need = this.pos + n;
    if (need > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < need) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.pos));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    return this;
  }

  /** Forgets everything written, keeping the buffer. */
  reset(): this {
    this.pos = 0;
    this.#forks.length = 0;
    return this;
  }

  /** A copy of the bytes written so far. */
  finish(): Uint8Array {
    if (this.#forks.length > 0) {
      throw new RangeError(
        `Cannot finish protobuf writer: ${this.#forks.length} fork(s) not joined`,
      );
    }
    return this.buf.slice(0, this.pos);
  }

  /** Writes a field key. */
  tag(field: number, wireType: WireType): this {
    return this.uint32(field * 8 + wireType);
  }

  /** Writes an unsigned varint in `[0, 2^32)` (also used for non-negative int32 and enums). */
  uint32(value: number): this {
    this.ensure(5);
    const b = this.buf;
    let p = this.pos;
    let v = value >>> 0;
    while (v > 0x7f) {
      b[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[p++] = v;
    this.pos = p;
    return this;
  }

  /** Writes an int32 varint; negative values are sign-extended to 10 bytes. */
  int32(value: number): this {
    return value >= 0 ? this.uint32(value) : this.#varint64(value | 0, -1);
  }

  /** Writes an int64 varint from a safe integer or bigint; negative values take 10 bytes. */
  int64(value: number | bigint): this {
    if (typeof value === "number") {
      if (value >>> 0 === value) return this.uint32(value);
      if (!Number.isSafeInteger(value)) {
        throw new RangeError(
          `Cannot encode int64: ${value} is not a safe integer (pass a bigint)`,
        );
      }
      const lo = value % TWO_32;
      const hi = Math.floor(value / TWO_32);
      return this.#varint64(lo < 0 ? lo + TWO_32 : lo, hi);
    }
    if (value < -(1n << 63n) || value >= 1n << 63n) {
      throw new RangeError(`Cannot encode int64: ${value} is out of range`);
    }
    const u = BigInt.asUintN(64, value);
    return this.#varint64(Number(u & 0xffffffffn), Number(u >> 32n));
  }

  /** Writes a uint64 varint from a non-negative safe integer or bigint. */
  uint64(value: number | bigint): this {
    if (typeof value === "number") {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new RangeError(
          `Cannot encode uint64: ${value} is not a non-negative safe integer`,
        );
      }
      return this.#varint64(value % TWO_32, Math.floor(value / TWO_32));
    }
    if (value < 0n || value >= 1n << 64n) {
      throw new RangeError(`Cannot encode uint64: ${value} is out of range`);
    }
    return this.#varint64(Number(value & 0xffffffffn), Number(value >> 32n));
  }

  #varint64(lo: number, hi: number): this {
    this.ensure(10);
    const b = this.buf;
    let p = this.pos;
    lo >>>= 0;
    hi >>>= 0;
    while (hi > 0 || lo > 0x7f) {
      b[p++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    b[p++] = lo;
    this.pos = p;
    return this;
  }

  /** Writes a bool varint. */
  bool(value: boolean): this {
    this.ensure(1);
    this.buf[this.pos++] = value ? 1 : 0;
    return this;
  }

  /** Writes a little-endian float64. */
  double(value: number): this {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
    return this;
  }

  /** Writes a little-endian float32 (rounding `value`). */
  float(value: number): this {
    this.ensure(4);
    this.view.setFloat32(this.pos, value, true);
    this.pos += 4;
    return this;
  }

  /** Writes a little-endian uint32. */
  fixed32(value: number): this {
    this.ensure(4);
    this.view.setUint32(this.pos, value >>> 0, true);
    this.pos += 4;
    return this;
  }

  /** Writes a little-endian uint64. */
  fixed64(value: number | bigint): this {
    this.ensure(8);
    this.view.setBigUint64(this.pos, BigInt.asUintN(64, BigInt(value)), true);
    this.pos += 8;
    return this;
  }

  /** Writes raw bytes with no prefix. */
  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /** Writes a length-prefixed byte string. */
  bytes(bytes: Uint8Array): this {
    return this.uint32(bytes.length).raw(bytes);
  }

  /** Writes a length-prefixed UTF-8 string (lone surrogates become U+FFFD). */
  string(value: string): this {
    const max = value.length * 3;
    const prefix = varintSize(max);
    this.ensure(prefix + max);
    const start = this.pos + prefix;
    const { written } = encoder.encodeInto(
      value,
      this.buf.subarray(start, start + max),
    );
    const actual = varintSize(written);
    if (actual !== prefix) {
      this.buf.copyWithin(this.pos + actual, start, start + written);
    }
    this.uint32(written);
    this.pos += written;
    return this;
  }

  /** Starts a length-delimited sub-message; end it with {@linkcode ProtoWriter.join}. */
  fork(): this {
    this.#forks.push(this.pos);
    return this;
  }

  /** Ends the innermost {@linkcode ProtoWriter.fork}, inserting its length prefix. */
  join(): this {
    const start = this.#forks.pop();
    if (start === undefined) {
      throw new RangeError("Cannot join protobuf writer: no fork is open");
    }
    const length = this.pos - start;
    const n = varintSize(length);
    this.ensure(n);
    this.buf.copyWithin(start + n, start, this.pos);
    this.pos = start;
    this.uint32(length);
    this.pos = start + n + length;
    return this;
  }

  /** Writes a packed repeated double field (omitted when empty). */
  packedDoubles(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    this.tag(field, WireType.Len).uint32(values.length * 8).ensure(
      values.length * 8,
    );
    const v = this.view;
    let p = this.pos;
    for (let i = 0; i < values.length; i++, p += 8) {
      v.setFloat64(p, values[i], true);
    }
    this.pos = p;
    return this;
  }

  /** Writes a packed repeated float field (omitted when empty). */
  packedFloats(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    this.tag(field, WireType.Len).uint32(values.length * 4).ensure(
      values.length * 4,
    );
    const v = this.view;
    let p = this.pos;
    for (let i = 0; i < values.length; i++, p += 4) {
      v.setFloat32(p, values[i], true);
    }
    this.pos = p;
    return this;
  }

  /** Writes a packed repeated varint field of int64 values (omitted when empty). */
  packedInt64s(field: number, values: ArrayLike<number | bigint>): this {
    if (values.length === 0) return this;
    this.tag(field, WireType.Len).fork();
    for (let i = 0; i < values.length; i++) this.int64(values[i]);
    return this.join();
  }
}

/**
 * Reads protobuf fields from `bytes[start:end]`. Every read is bounds-checked
 * and throws a RangeError on premature end; malformed data throws a
 * SyntaxError.
 *
 * @example
 * ```ts
 * import { ProtoReader } from "./wire.ts";
 * const r = new ProtoReader(new Uint8Array([8, 150, 1]));
 * const key = r.uint32();
 * if (key >>> 3 !== 1 || r.uint32() !== 150 || !r.done) throw new Error();
 * ```
 */
export class ProtoReader {
  /** The whole buffer being read. */
  readonly buf: Uint8Array;
  /** Current read position, an index into {@linkcode ProtoReader.buf}. */
  pos: number;
  /** End of the region being read (exclusive). */
  readonly end: number;
  #view: DataView | undefined;

  /** Reads `bytes[start:end]`. */
  constructor(bytes: Uint8Array, start = 0, end: number = bytes.length) {
    if (start < 0 || end > bytes.length || start > end) {
      throw new RangeError(
        `Cannot read protobuf: region [${start}, ${end}) is outside ${bytes.length} bytes`,
      );
    }
    this.buf = bytes;
    this.pos = start;
    this.end = end;
  }

  /** True when the whole region has been read. */
  get done(): boolean {
    return this.pos >= this.end;
  }

  #need(n: number): void {
    if (this.pos + n > this.end) {
      throw new RangeError(
        `Cannot read protobuf: premature end of data at offset ${this.pos} (need ${n} bytes, ${
          this.end - this.pos
        } left)`,
      );
    }
  }

  #dv(): DataView {
    return this.#view ??= new DataView(
      this.buf.buffer,
      this.buf.byteOffset,
      this.buf.byteLength,
    );
  }

  /** Reads a field key and returns `[fieldNumber, wireType]`. */
  key(): [number, number] {
    const k = this.uint32();
    const wt = k & 7;
    if (wt !== 0 && wt !== 1 && wt !== 2 && wt !== 5) {
      throw new SyntaxError(
        `Cannot read protobuf: unsupported wire type ${wt} at offset ${this.pos}`,
      );
    }
    return [k >>> 3, wt];
  }

  /** Reads a varint and returns its low 32 bits unsigned (uint32, enum keys). */
  uint32(): number {
    const b = this.buf;
    let p = this.pos;
    if (p < this.end && b[p] < 0x80) {
      this.pos = p + 1;
      return b[p];
    }
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (p >= this.end) this.#need(1 + p - this.pos);
      const byte = b[p++];
      result |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.pos = p;
        return result >>> 0;
      }
    }
    // Bits above 32 are discarded, as protobuf does for 32-bit fields.
    for (let i = 0; i < 5; i++) {
      if (p >= this.end) this.#need(1 + p - this.pos);
      if (b[p++] < 0x80) {
        this.pos = p;
        return result >>> 0;
      }
    }
    throw new SyntaxError(
      `Cannot read protobuf: varint longer than 10 bytes at offset ${this.pos}`,
    );
  }

  /** Reads a varint as int32 (two's complement of the low 32 bits). */
  int32(): number {
    return this.uint32() | 0;
  }

  /** Reads a varint and returns `[low32, high32]`, both unsigned. */
  varint64(): [number, number] {
    const b = this.buf;
    let p = this.pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (p >= this.end) this.#need(1 + p - this.pos);
      const byte = b[p++];
      const bits = byte & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= bits << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (7 * i - 32);
      if (byte < 0x80) {
        this.pos = p;
        return [lo >>> 0, hi >>> 0];
      }
    }
    throw new SyntaxError(
      `Cannot read protobuf: varint longer than 10 bytes at offset ${this.pos}`,
    );
  }

  /** Reads an int64 varint: a number when it is a safe integer, else a bigint. */
  int64(): number | bigint {
    const [lo, hi] = this.varint64();
    const h = hi | 0;
    if (h >= -0x200000 && h < 0x200000) {
      const v = h * TWO_32 + lo;
      if (Number.isSafeInteger(v)) return v;
    }
    return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
  }

  /** Reads a uint64 varint: a number when it is a safe integer, else a bigint. */
  uint64(): number | bigint {
    const [lo, hi] = this.varint64();
    if (hi < 0x200000) return hi * TWO_32 + lo;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Reads a bool varint. */
  bool(): boolean {
    const [lo, hi] = this.varint64();
    return lo !== 0 || hi !== 0;
  }

  /** Reads a little-endian float64. */
  double(): number {
    this.#need(8);
    const v = this.#dv().getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Reads a little-endian float32. */
  float(): number {
    this.#need(4);
    const v = this.#dv().getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** Reads a little-endian uint32. */
  fixed32(): number {
    this.#need(4);
    const v = this.#dv().getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** Reads a little-endian uint64 as a bigint. */
  fixed64(): bigint {
    this.#need(8);
    const v = this.#dv().getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Reads a length prefix and returns the delimited bytes as a view (no copy). */
  bytes(): Uint8Array {
    const n = this.uint32();
    this.#need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Reads a length-delimited string; invalid UTF-8 throws a SyntaxError. */
  string(): string {
    const start = this.pos;
    const bytes = this.bytes();
    try {
      return strictDecoder.decode(bytes);
    } catch {
      throw new SyntaxError(
        `Cannot read protobuf string at offset ${start}: invalid UTF-8`,
      );
    }
  }

  /** Reads a length prefix and returns a reader over the delimited region. */
  sub(): ProtoReader {
    const n = this.uint32();
    this.#need(n);
    const r = new ProtoReader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  /** Skips one field value of the given wire type. */
  skip(wireType: number): void {
    switch (wireType) {
      case WireType.Varint:
        this.varint64();
        return;
      case WireType.I64:
        this.#need(8);
        this.pos += 8;
        return;
      case WireType.Len: {
        const n = this.uint32();
        this.#need(n);
        this.pos += n;
        return;
      }
      case WireType.I32:
        this.#need(4);
        this.pos += 4;
        return;
      default:
        throw new SyntaxError(
          `Cannot skip protobuf field: unsupported wire type ${wireType} at offset ${this.pos}`,
        );
    }
  }

  /** Reads a repeated double field occurrence, packed or not, appending to `out`. */
  doubles(wireType: number, out: number[]): number[] {
    if (wireType === WireType.I64) {
      out.push(this.double());
      return out;
    }
    if (wireType !== WireType.Len) {
      this.skip(wireType);
      return out;
    }
    const r = this.sub();
    if ((r.end - r.pos) % 8 !== 0) {
      throw new SyntaxError(
        `Cannot read packed doubles at offset ${r.pos}: ${
          r.end - r.pos
        } bytes is not a multiple of 8`,
      );
    }
    while (!r.done) out.push(r.double());
    return out;
  }

  /** Reads a repeated float field occurrence, packed or not, appending to `out`. */
  floats(wireType: number, out: number[]): number[] {
    if (wireType === WireType.I32) {
      out.push(this.float());
      return out;
    }
    if (wireType !== WireType.Len) {
      this.skip(wireType);
      return out;
    }
    const r = this.sub();
    if ((r.end - r.pos) % 4 !== 0) {
      throw new SyntaxError(
        `Cannot read packed floats at offset ${r.pos}: ${
          r.end - r.pos
        } bytes is not a multiple of 4`,
      );
    }
    while (!r.done) out.push(r.float());
    return out;
  }

  /** Reads a repeated varint field occurrence, packed or not, appending `read()` results to `out`. */
  varints<T>(wireType: number, out: T[], read: (r: ProtoReader) => T): T[] {
    if (wireType === WireType.Varint) {
      out.push(read(this));
      return out;
    }
    if (wireType !== WireType.Len) {
      this.skip(wireType);
      return out;
    }
    const r = this.sub();
    while (!r.done) out.push(read(r));
    return out;
  }
}

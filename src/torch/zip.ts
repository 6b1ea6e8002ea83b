/**
 * Reading zip archives for `torch.save` files with every size bounded: the
 * central directory is read without inflating anything, and an entry is
 * inflated only when asked for, into a buffer of the size its header
 * declares, stopping at the first byte past it. A header that lies (small
 * declared size, large stream) therefore costs at most the declared size
 * plus one slice's expansion, never the stream's real size.
 *
 * @module
 */

import { Inflate } from "npm:fflate@0.8.2/browser";

/** One entry of the central directory. */
export interface ZipEntry {
  /** The entry's name (UTF-8). */
  readonly name: string;
  /** 0 (stored) or 8 (deflated). */
  readonly method: number;
  /** The bytes the entry occupies in the archive. */
  readonly compressedSize: number;
  /** The size its header declares once inflated. */
  readonly size: number;
  /** Where its local header starts. */
  readonly localOffset: number;
}

/** Deflate cannot expand data more than about 1032 times; a header claiming more lies. */
export const MAX_DEFLATE_RATIO = 1032;

/** The most entries a directory may list (a torch archive has a few per tensor). */
export const MAX_ENTRIES = 1_000_000;

/**
 * How much compressed input to feed next when `left` more output bytes are
 * allowed: at most what could fill them at deflate's largest ratio (plus a
 * little), so the output of one push passes the limit by at most ~64 KiB;
 * at least 64 bytes, at most 64 KiB. (fflate inflates long runs at about
 * 50–100 MB/s, so each byte inflated past a limit costs time.)
 */
export function sliceFor(left: number): number {
  return Math.min(65536, Math.max(64, Math.ceil(left / MAX_DEFLATE_RATIO)));
}

/** A malformed zip archive (the caller turns it into its own error type). */
export class ZipError extends Error {
  /** The entry concerned, when there is one. */
  readonly entry?: string;
  /** Makes an error about `entry` (when given). */
  constructor(message: string, entry?: string) {
    super(message);
    this.name = "ZipError";
    this.entry = entry;
  }
}

const u16 = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8);
const u32 = (b: Uint8Array, at: number) =>
  (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)) + b[at + 3] * 0x1000000;
const u64 = (b: Uint8Array, at: number) => {
  const hi = u32(b, at + 4);
  if (hi >= 0x200000) {
    throw new ZipError("a zip64 size or offset above 2^53 bytes");
  }
  return u32(b, at) + hi * 0x100000000;
};

function need(bytes: Uint8Array, at: number, n: number, what: string): void {
  if (at < 0 || at + n > bytes.length) {
    throw new ZipError(
      `${what} at byte ${at} (${n} bytes) is past the end of the ${bytes.length}-byte archive`,
    );
  }
}

/**
 * The central directory of `bytes`. Work and memory are linear in the
 * directory's size (which the archive's size bounds); nothing is inflated.
 */
export function zipEntries(bytes: Uint8Array): ZipEntry[] {
  if (bytes.length < 22) throw new ZipError("not a zip archive (too short)");
  let eocd = -1;
  const stop = Math.max(0, bytes.length - 22 - 0xffff);
  for (let p = bytes.length - 22; p >= stop; p--) {
    if (u32(bytes, p) === 0x06054b50) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) {
    throw new ZipError("not a zip archive (no end of central directory)");
  }
  let count = u16(bytes, eocd + 10);
  let cdSize = u32(bytes, eocd + 12);
  let cdOffset = u32(bytes, eocd + 16);
  if (
    (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) &&
    eocd >= 20 && u32(bytes, eocd - 20) === 0x07064b50
  ) {
    const at = u64(bytes, eocd - 12);
    need(bytes, at, 56, "the zip64 end of central directory");
    if (u32(bytes, at) !== 0x06064b50) {
      throw new ZipError("the zip64 end of central directory is malformed");
    }
    count = u64(bytes, at + 32);
    cdSize = u64(bytes, at + 40);
    cdOffset = u64(bytes, at + 48);
  }
  need(bytes, cdOffset, cdSize, "the central directory");
  if (count > MAX_ENTRIES || count * 46 > cdSize) {
    throw new ZipError(
      `the directory claims ${count} entries in ${cdSize} bytes`,
    );
  }
  const names = new TextDecoder();
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  const end = cdOffset + cdSize;
  for (let i = 0; i < count; i++) {
    if (p + 46 > end || u32(bytes, p) !== 0x02014b50) {
      throw new ZipError(`central directory entry ${i} is malformed`);
    }
    const flags = u16(bytes, p + 8);
    const method = u16(bytes, p + 10);
    let compressedSize = u32(bytes, p + 20);
    let size = u32(bytes, p + 24);
    const nameLen = u16(bytes, p + 28);
    const extraLen = u16(bytes, p + 30);
    const commentLen = u16(bytes, p + 32);
    let localOffset = u32(bytes, p + 42);
    const next = p + 46 + nameLen + extraLen + commentLen;
    if (next > end) {
      throw new ZipError(`central directory entry ${i} runs past its end`);
    }
    const name = names.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    if (flags & 1) throw new ZipError("entry is encrypted", name);
    // zip64: the fields set to 0xffffffff follow, in this order, in extra 0x0001
    if (
      size === 0xffffffff || compressedSize === 0xffffffff ||
      localOffset === 0xffffffff
    ) {
      let x = p + 46 + nameLen;
      const xEnd = x + extraLen;
      let found = false;
      while (x + 4 <= xEnd) {
        const id = u16(bytes, x);
        const len = u16(bytes, x + 2);
        if (x + 4 + len > xEnd) break;
        if (id === 1) {
          let f = x + 4;
          const field = () => {
            if (f + 8 > x + 4 + len) {
              throw new ZipError("zip64 extra field is too short", name);
            }
            const v = u64(bytes, f);
            f += 8;
            return v;
          };
          if (size === 0xffffffff) size = field();
          if (compressedSize === 0xffffffff) compressedSize = field();
          if (localOffset === 0xffffffff) localOffset = field();
          found = true;
          break;
        }
        x += 4 + len;
      }
      if (!found) {
        throw new ZipError("sizes of 0xffffffff without a zip64 field", name);
      }
    }
    entries.push({ name, method, compressedSize, size, localOffset });
    p = next;
  }
  return entries;
}

/** Where the entry's data starts (after its local header), checked against the archive. */
function dataOffset(bytes: Uint8Array, entry: ZipEntry): number {
  const at = entry.localOffset;
  need(bytes, at, 30, `the local header of ${entry.name}`);
  if (u32(bytes, at) !== 0x04034b50) {
    throw new ZipError("the local header is malformed", entry.name);
  }
  const start = at + 30 + u16(bytes, at + 26) + u16(bytes, at + 28);
  need(bytes, start, entry.compressedSize, `the data of ${entry.name}`);
  return start;
}

/**
 * The inflated bytes of `entry`. A stored entry is a view of `bytes`; a
 * deflated one is inflated into a buffer of its declared size, fed in
 * slices ({@link sliceFor}), and refused as soon as it passes that size
 * (or ends short of it), so the work is bounded by the declared size, which
 * the caller has checked against its limits.
 */
export function inflateEntry(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  const start = dataOffset(bytes, entry);
  const input = bytes.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) {
    if (entry.size !== entry.compressedSize) {
      throw new ZipError(
        `stored entry of ${entry.compressedSize} bytes declares ${entry.size}`,
        entry.name,
      );
    }
    return input;
  }
  if (entry.method !== 8) {
    throw new ZipError(
      `unsupported zip compression method ${entry.method}`,
      entry.name,
    );
  }
  const expected = entry.size;
  const out = new Uint8Array(expected);
  let got = 0;
  let over = false;
  const z = new Inflate((chunk) => {
    if (over) return;
    if (got + chunk.length > expected) {
      over = true;
      return;
    }
    out.set(chunk, got);
    got += chunk.length;
  });
  try {
    for (let i = 0; i < input.length && !over;) {
      const end = Math.min(input.length, i + sliceFor(expected - got));
      z.push(input.subarray(i, end), end === input.length);
      i = end;
    }
    if (input.length === 0) z.push(input, true);
  } catch (error) {
    throw new ZipError(
      `deflated data does not inflate (${(error as Error).message})`,
      entry.name,
    );
  }
  if (over) {
    throw new ZipError(
      `inflates to more than the ${expected} bytes its header declares`,
      entry.name,
    );
  }
  if (got !== expected) {
    throw new ZipError(
      `inflates to ${got} bytes but its header declares ${expected}`,
      entry.name,
    );
  }
  return out;
}

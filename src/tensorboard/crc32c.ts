/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78) and the TFRecord
 * masking transform.
 *
 * @module
 */

const POLY = 0x82f63b78;

/** Eight 256-entry tables for slicing-by-8; table 0 is the classic one. */
const TABLES: Uint32Array = (() => {
  const t = new Uint32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    let c = t[i];
    for (let s = 1; s < 8; s++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[s * 256 + i] = c >>> 0;
    }
  }
  return t;
})();

/**
 * Computes the CRC32C of `bytes[start:end]`.
 *
 * @param bytes The data.
 * @param start First byte to include (default 0).
 * @param end One past the last byte to include (default `bytes.length`).
 * @returns The CRC as an unsigned 32-bit number.
 *
 * @example
 * ```ts
 * import { crc32c } from "./crc32c.ts";
 * if (crc32c(new TextEncoder().encode("123456789")) !== 0xe3069283) throw new Error();
 * ```
 */
export function crc32c(
  bytes: Uint8Array,
  start = 0,
  end: number = bytes.length,
): number {
  const t = TABLES;
  let crc = 0xffffffff;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const lo = (crc ^
      (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) |
        (bytes[i + 3] << 24))) >>> 0;
    crc = t[1792 + (lo & 0xff)] ^ t[1536 + ((lo >>> 8) & 0xff)] ^
      t[1280 + ((lo >>> 16) & 0xff)] ^ t[1024 + (lo >>> 24)] ^
      t[768 + bytes[i + 4]] ^ t[512 + bytes[i + 5]] ^
      t[256 + bytes[i + 6]] ^ t[bytes[i + 7]];
  }
  for (; i < end; i++) crc = t[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * Applies the TFRecord (LevelDB) mask: rotate right by 15 bits, then add
 * 0xA282EAD8 modulo 2^32.
 *
 * @example
 * ```ts
 * import { maskCrc } from "./crc32c.ts";
 * if (maskCrc(0) !== 0xa282ead8) throw new Error();
 * ```
 */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** Inverse of {@linkcode maskCrc}. */
export function unmaskCrc(masked: number): number {
  const r = (masked - 0xa282ead8) >>> 0;
  return ((r >>> 17) | (r << 15)) >>> 0;
}

/** The masked CRC32C of `bytes[start:end]`, as TFRecord stores it. */
export function maskedCrc32c(
  bytes: Uint8Array,
  start = 0,
  end: number = bytes.length,
): number {
  return maskCrc(crc32c(bytes, start, end));
}

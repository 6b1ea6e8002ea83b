/**
 * A minimal PNG encoder (8-bit grayscale, grayscale+alpha, RGB, RGBA) for
 * image summaries: one IDAT chunk compressed with fflate (`node:zlib` costs
 * about 100 ms to load, at every start of a process that imports us).
 *
 * @module
 */

import { zlibSync } from "npm:fflate@0.8.2/browser";

/** CRC-32 (ISO-HDLC), as PNG chunks use it. */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

const SIGNATURE = new Uint8Array([
  0x89,
  0x50,
  0x4e,
  0x47,
  0x0d,
  0x0a,
  0x1a,
  0x0a,
]);
/** PNG colour type per channel count. */
const COLOR_TYPE: Record<number, number> = { 1: 0, 2: 4, 3: 2, 4: 6 };

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(
    8 + data.length,
    crc32(out.subarray(4, 8 + data.length)) >>> 0,
  );
  return out;
}

/**
 * Encodes interleaved 8-bit pixels (row-major, `height × width × channels`)
 * as a PNG. Each row uses the "Sub" filter, which compresses typical images
 * better than none.
 *
 * @param pixels `height * width * channels` bytes.
 * @param width Image width in pixels.
 * @param height Image height in pixels.
 * @param channels 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA).
 *
 * @example
 * ```ts
 * import { encodePng } from "./png.ts";
 * const png = encodePng(new Uint8Array([0, 255, 255, 0]), 2, 2, 1);
 * if (png[1] !== 0x50 || png[2] !== 0x4e || png[3] !== 0x47) throw new Error();
 * ```
 */
export function encodePng(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: number,
): Uint8Array {
  const colorType = COLOR_TYPE[channels];
  if (colorType === undefined) {
    throw new RangeError(
      `Cannot encode PNG: ${channels} channels, expected 1, 2, 3 or 4`,
    );
  }
  if (
    !Number.isInteger(width) || !Number.isInteger(height) || width < 1 ||
    height < 1
  ) {
    throw new RangeError(
      `Cannot encode PNG: size ${width}x${height} is not positive integers`,
    );
  }
  const stride = width * channels;
  if (pixels.length !== stride * height) {
    throw new RangeError(
      `Cannot encode PNG: ${pixels.length} bytes of pixels, expected ${height}x${width}x${channels} = ${
        stride * height
      }`,
    );
  }
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const src = y * stride;
    const dst = y * (stride + 1);
    raw[dst] = 1; // Sub filter
    for (let i = 0; i < channels; i++) raw[dst + 1 + i] = pixels[src + i];
    for (let i = channels; i < stride; i++) {
      raw[dst + 1 + i] = (pixels[src + i] - pixels[src + i - channels]) & 0xff;
    }
  }
  const ihdr = new Uint8Array(13);
  const hv = new DataView(ihdr.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = colorType;
  // compression 0, filter 0, interlace 0
  const idat = zlibSync(raw);
  const parts = [
    SIGNATURE,
    chunk("IHDR", ihdr),
    chunk("IDAT", idat),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

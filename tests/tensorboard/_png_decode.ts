import { inflateSync } from "node:zlib";

/** Test-only PNG decoder for 8-bit, non-interlaced images: returns interleaved pixels. */
export function decodePng(
  png: Uint8Array,
): { width: number; height: number; channels: number; pixels: Uint8Array } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let p = 8;
  let width = 0, height = 0, channels = 0;
  const idat: Uint8Array[] = [];
  while (p < png.length) {
    const len = view.getUint32(p);
    const type = String.fromCharCode(...png.subarray(p + 4, p + 8));
    const data = png.subarray(p + 8, p + 8 + len);
    if (type === "IHDR") {
      width = view.getUint32(p + 8);
      height = view.getUint32(p + 12);
      if (data[8] !== 8 || data[12] !== 0) throw new Error("unsupported PNG");
      channels =
        ({ 0: 1, 4: 2, 2: 3, 6: 4 } as Record<number, number>)[data[9]];
    } else if (type === "IDAT") idat.push(data);
    p += 12 + len;
  }
  const raw = new Uint8Array(
    inflateSync(new Uint8Array(idat.flatMap((c) => [...c]))),
  );
  const stride = width * channels;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x];
      const a = x >= channels ? out[y * stride + x - channels] : 0;
      const b = y > 0 ? out[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0
        ? out[(y - 1) * stride + x - channels]
        : 0;
      let pred = 0;
      if (f === 1) pred = a;
      else if (f === 2) pred = b;
      else if (f === 3) pred = (a + b) >> 1;
      else if (f === 4) {
        const pp = a + b - c,
          pa = Math.abs(pp - a),
          pb = Math.abs(pp - b),
          pc = Math.abs(pp - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[y * stride + x] = (v + pred) & 0xff;
    }
  }
  return { width, height, channels, pixels: out };
}

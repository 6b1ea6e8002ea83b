// Builds hostile torch archives for tests: a real torch.save archive whose
// storages are replaced by deflate streams that inflate far past the sizes
// their headers declare.
import { inflateEntry, zipEntries } from "../../src/torch/zip.ts";
import { runPython } from "../interop/python.ts";

/** A zip entry to write: its bytes as stored, and the sizes to declare. */
export interface RawEntry {
  name: string;
  method: 0 | 8;
  data: Uint8Array;
  size: number;
}

/**
 * A zip archive of `entries` as given (no compression done here; CRCs are
 * 0). With `zip64`, the central directory's sizes and offsets, and the end
 * record's counts, are 0xffffffff and given in zip64 fields instead.
 */
export function writeZip(entries: RawEntry[], zip64 = false): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let at = 0;
  for (const e of entries) {
    const name = enc.encode(e.name);
    const local = new Uint8Array(30 + name.length);
    const v = new DataView(local.buffer);
    v.setUint32(0, 0x04034b50, true);
    v.setUint16(4, 20, true);
    v.setUint16(8, e.method, true);
    v.setUint32(18, e.data.length, true);
    v.setUint32(22, e.size, true);
    v.setUint16(26, name.length, true);
    local.set(name, 30);
    const c = new Uint8Array(46 + name.length + (zip64 ? 28 : 0));
    const w = new DataView(c.buffer);
    w.setUint32(0, 0x02014b50, true);
    w.setUint16(4, 45, true);
    w.setUint16(6, 45, true);
    w.setUint16(10, e.method, true);
    w.setUint32(20, zip64 ? 0xffffffff : e.data.length, true);
    w.setUint32(24, zip64 ? 0xffffffff : e.size, true);
    w.setUint16(28, name.length, true);
    w.setUint32(42, zip64 ? 0xffffffff : at, true);
    c.set(name, 46);
    if (zip64) {
      const x = 46 + name.length;
      w.setUint16(30, 28, true);
      w.setUint16(x, 1, true);
      w.setUint16(x + 2, 24, true);
      w.setBigUint64(x + 4, BigInt(e.size), true);
      w.setBigUint64(x + 12, BigInt(e.data.length), true);
      w.setBigUint64(x + 20, BigInt(at), true);
    }
    central.push(c);
    parts.push(local, e.data);
    at += local.length + e.data.length;
  }
  const cdSize = central.reduce((n, c) => n + c.length, 0);
  const end = new Uint8Array(22 + (zip64 ? 76 : 0));
  const v = new DataView(end.buffer);
  let e = 0;
  if (zip64) {
    // the zip64 end of central directory record, then its locator
    v.setUint32(0, 0x06064b50, true);
    v.setBigUint64(4, 44n, true);
    v.setUint16(12, 45, true);
    v.setUint16(14, 45, true);
    v.setBigUint64(24, BigInt(entries.length), true);
    v.setBigUint64(32, BigInt(entries.length), true);
    v.setBigUint64(40, BigInt(cdSize), true);
    v.setBigUint64(48, BigInt(at), true);
    v.setUint32(56, 0x07064b50, true);
    v.setBigUint64(64, BigInt(at + cdSize), true);
    v.setUint32(72, 1, true);
    e = 76;
  }
  v.setUint32(e, 0x06054b50, true);
  v.setUint16(e + 8, zip64 ? 0xffff : entries.length, true);
  v.setUint16(e + 10, zip64 ? 0xffff : entries.length, true);
  v.setUint32(e + 12, zip64 ? 0xffffffff : cdSize, true);
  v.setUint32(e + 16, zip64 ? 0xffffffff : at, true);
  const out = new Uint8Array(at + cdSize + end.length);
  let p = 0;
  for (const part of [...parts, ...central, end]) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

/**
 * A real `torch.save` of `{a: zeros(256), b: ones(256)}` (float32) and the
 * same archive with both storages replaced by deflate streams of `mib` MiB
 * of zeros that still declare their 1024 bytes (about 1 MB of archive per
 * 1000 MiB); `declared` is the same with the storages' true sizes declared.
 */
export async function torchBomb(
  dir: string,
  mib = 1000,
): Promise<{ honest: Uint8Array; bomb: Uint8Array; declared: Uint8Array }> {
  const honestPath = `${dir}/honest.pt`;
  const segPath = `${dir}/segment.bin`;
  await runPython(["torch"], "../torch/_bomb.py", [honestPath, segPath]);
  const honest = Deno.readFileSync(honestPath);
  const segment = Deno.readFileSync(segPath);
  const stream = new Uint8Array(segment.length * mib + 2);
  for (let i = 0; i < mib; i++) stream.set(segment, i * segment.length);
  stream.set([0x03, 0x00], segment.length * mib); // an empty final block
  const entries = (size?: number): RawEntry[] =>
    zipEntries(honest).map((e) => {
      const data = inflateEntry(honest, e);
      return /\/data\/\d+$/.test(e.name)
        ? { name: e.name, method: 8, data: stream, size: size ?? data.length }
        : { name: e.name, method: 0, data, size: data.length };
    });
  return {
    honest,
    bomb: writeZip(entries()),
    declared: writeZip(entries(mib * 2 ** 20)),
  };
}

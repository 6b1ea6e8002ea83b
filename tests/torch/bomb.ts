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

/** A zip archive of `entries` as given (no compression done here; CRCs are 0). */
export function writeZip(entries: RawEntry[]): Uint8Array {
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
    const c = new Uint8Array(46 + name.length);
    const w = new DataView(c.buffer);
    w.setUint32(0, 0x02014b50, true);
    w.setUint16(4, 20, true);
    w.setUint16(6, 20, true);
    w.setUint16(10, e.method, true);
    w.setUint32(20, e.data.length, true);
    w.setUint32(24, e.size, true);
    w.setUint16(28, name.length, true);
    w.setUint32(42, at, true);
    c.set(name, 46);
    central.push(c);
    parts.push(local, e.data);
    at += local.length + e.data.length;
  }
  const cdSize = central.reduce((n, c) => n + c.length, 0);
  const end = new Uint8Array(22);
  const v = new DataView(end.buffer);
  v.setUint32(0, 0x06054b50, true);
  v.setUint16(8, entries.length, true);
  v.setUint16(10, entries.length, true);
  v.setUint32(12, cdSize, true);
  v.setUint32(16, at, true);
  const out = new Uint8Array(at + cdSize + 22);
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

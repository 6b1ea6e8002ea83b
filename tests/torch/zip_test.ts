// The zip directory reader on archives torch.save does not write every day:
// zip64 fields, deflated entries, damaged directories.
import { throws } from "node:assert/strict";
import { deflateSync } from "npm:fflate@0.8.2/browser";
import {
  readStateDict,
  TorchError,
  writeStateDict,
} from "../../src/torch/mod.ts";
import { inflateEntry, zipEntries } from "../../src/torch/zip.ts";
import { assertEquals } from "../assert.ts";
import { type RawEntry, writeZip } from "./bomb.ts";

const archive = writeStateDict({
  w: { dtype: "float64", shape: [3], data: new Float64Array([1.5, -2, 3]) },
  n: { dtype: "int64", shape: [1], data: new BigInt64Array([7n]) },
});

function rewritten(deflate: boolean, zip64: boolean): Uint8Array {
  const entries: RawEntry[] = zipEntries(archive).map((e) => {
    const data = inflateEntry(archive, e);
    return deflate
      ? { name: e.name, method: 8, data: deflateSync(data), size: data.length }
      : { name: e.name, method: 0, data, size: data.length };
  });
  return writeZip(entries, zip64);
}

function values(bytes: Uint8Array) {
  const sd = readStateDict(bytes) as Record<
    string,
    { data: ArrayLike<unknown> }
  >;
  return [Array.from(sd.w.data), Array.from(sd.n.data)];
}

Deno.test("zip: stored, deflated and zip64 archives of one state dict read equal", () => {
  const want = [[1.5, -2, 3], [7n]];
  assertEquals(values(archive), want);
  for (const deflate of [false, true]) {
    for (const zip64 of [false, true]) {
      const bytes = rewritten(deflate, zip64);
      assertEquals(values(bytes), want, `deflate ${deflate} zip64 ${zip64}`);
      const sizes = zipEntries(bytes).map((e) => e.size);
      assertEquals(sizes, zipEntries(archive).map((e) => e.size));
    }
  }
});

Deno.test("zip: damaged directories are TorchErrors saying what is wrong", () => {
  const bytes = rewritten(true, true);
  const cases: [string, (b: Uint8Array) => void, RegExp][] = [
    [
      "no end record",
      (b) => b.fill(0, b.length - 22),
      /no end of central directory/,
    ],
    [
      "zip64 record moved",
      (b) => b.fill(0xee, b.length - 98, b.length - 90),
      /zip64 end of central directory/,
    ],
    [
      "directory entry signature",
      (b) => {
        const view = new DataView(b.buffer);
        for (let p = 0; p + 4 <= b.length; p++) {
          if (view.getUint32(p, true) === 0x02014b50) {
            view.setUint32(p, 0, true);
            break;
          }
        }
      },
      /central directory entry 0 is malformed/,
    ],
  ];
  for (const [what, damage, message] of cases) {
    const b = bytes.slice();
    damage(b);
    throws(
      () => readStateDict(b),
      (e: unknown) => e instanceof TorchError && message.test(e.message),
      what,
    );
  }
});

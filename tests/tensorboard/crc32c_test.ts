import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  crc32c,
  maskCrc,
  maskedCrc32c,
  unmaskCrc,
} from "../../src/tensorboard/crc32c.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const hex = (s: string) =>
  Uint8Array.from(s.match(/../g)!.map((h) => parseInt(h, 16)));

Deno.test("crc32c() and maskCrc() match the known vectors", () => {
  const cases: [Uint8Array, number | null, number][] = [
    [new Uint8Array(0), 0x00000000, 0xa282ead8],
    [enc("a"), 0xc1d04330, 0x28e46e78],
    [enc("123456789"), 0xe3069283, 0xc78ab0e5],
    [new Uint8Array(32), 0x8a9136aa, 0x0fd7fffa],
    [new Uint8Array(32).fill(0xff), 0x62a8ab43, 0xf909b029],
    [
      new Uint8Array([0x1a, 0x11, ...enc("CRC test, one two")]),
      null,
      0x5794d08a,
    ],
    [hex("1800000000000000"), null, 0x224b7fa3],
    [hex("1900000000000000"), 0x0359c2c3, 0x2808f18b],
  ];
  for (const [bytes, crc, masked] of cases) {
    if (crc !== null) assertEquals(crc32c(bytes), crc);
    assertEquals(maskedCrc32c(bytes), masked);
    assertEquals(unmaskCrc(masked), crc32c(bytes));
  }
});

Deno.test("crc32c() of the tf_record.rs first record payload", () => {
  const payload = new Uint8Array([
    ...hex("0900008038 99d6d7411a0d".replace(/ /g, "")),
    ...enc("brain.Event:2"),
  ]);
  assertEquals(maskedCrc32c(payload), 0xab364b12);
});

Deno.test("crc32c() over a sub-range equals the CRC of the slice, for every length", () => {
  const data = new Uint8Array(300).map((_, i) => (i * 131 + 7) & 0xff);
  for (let n = 0; n < 40; n++) {
    const slice = data.slice(5, 5 + n);
    let bitwise = 0xffffffff;
    for (const b of slice) {
      bitwise ^= b;
      for (let k = 0; k < 8; k++) {
        bitwise = bitwise & 1 ? (bitwise >>> 1) ^ 0x82f63b78 : bitwise >>> 1;
      }
    }
    assertEquals(
      crc32c(data, 5, 5 + n),
      (bitwise ^ 0xffffffff) >>> 0,
      `length ${n}`,
    );
  }
  assertEquals(maskCrc(0xe3069283), 0xc78ab0e5);
});

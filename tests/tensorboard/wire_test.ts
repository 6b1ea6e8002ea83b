import {
  ProtoReader,
  ProtoWriter,
  varintSize,
  WireType,
} from "../../src/tensorboard/wire.ts";
import { assertEquals, assertThrows, hex, toHex } from "./_util.ts";

Deno.test("ProtoWriter writes varints of every width, negatives as 10 bytes", () => {
  const cases: [number | bigint, string][] = [
    [0, "00"],
    [1, "01"],
    [127, "7f"],
    [128, "8001"],
    [300, "ac02"],
    [2 ** 32, "8080808010"],
    [2 ** 53 - 1, "ffffffffffffff0f"],
    [-1, "ffffffffffffffffff01"],
    [-2, "feffffffffffffffff01"],
    [-(2n ** 63n), "80808080808080808001"],
    [2n ** 63n - 1n, "ffffffffffffffff7f"],
  ];
  for (const [v, want] of cases) {
    assertEquals(
      toHex(new ProtoWriter().int64(v).finish()),
      want,
      `int64(${v})`,
    );
    const r = new ProtoReader(hex(want));
    assertEquals(
      r.int64(),
      typeof v === "bigint" && Number.isSafeInteger(Number(v)) ? Number(v) : v,
    );
    assertEquals(r.done, true);
  }
  assertEquals(
    toHex(new ProtoWriter().int32(-1).finish()),
    "ffffffffffffffffff01",
  );
  assertEquals(new ProtoReader(hex("ffffffffffffffffff01")).int32(), -1);
  assertEquals(
    toHex(new ProtoWriter().uint64(2n ** 64n - 1n).finish()),
    "ffffffffffffffffff01",
  );
  assertEquals(
    new ProtoReader(hex("ffffffffffffffffff01")).uint64(),
    2n ** 64n - 1n,
  );
  assertThrows(() => new ProtoWriter().int64(0.5), RangeError);
  assertThrows(() => new ProtoWriter().int64(2 ** 60), RangeError);
  for (
    const n of [
      0,
      127,
      128,
      16383,
      16384,
      2 ** 28 - 1,
      2 ** 28,
      2 ** 35,
      2 ** 53 - 1,
    ]
  ) {
    assertEquals(
      varintSize(n),
      new ProtoWriter().uint64(n).finish().length,
      `varintSize(${n})`,
    );
  }
});

Deno.test("ProtoWriter writes fixed-width values little-endian and floats rounded to float32", () => {
  const w = new ProtoWriter(16).float(0.25).float(0.1).double(1.5).fixed32(
    0xdeadbeef,
  ).fixed64(1n);
  assertEquals(
    toHex(w.finish()),
    "0000803ecdcccc3d000000000000f83fefbeadde0100000000000000",
  );
});

Deno.test("ProtoWriter.join() inserts length prefixes of any width, nested, across growth", () => {
  const w = new ProtoWriter(16);
  w.tag(1, WireType.Len).fork().tag(2, WireType.Len).fork().raw(
    new Uint8Array(200).fill(7),
  ).join().join();
  const b = w.finish();
  assertEquals(toHex(b.subarray(0, 6)), "0acb0112c801");
  assertEquals(b.length, 6 + 200);
  const r = new ProtoReader(b);
  assertEquals(r.key(), [1, 2]);
  const inner = r.sub();
  assertEquals(inner.key(), [2, 2]);
  assertEquals(inner.bytes(), new Uint8Array(200).fill(7));
  assertThrows(() => new ProtoWriter().join(), RangeError);
  assertThrows(() => new ProtoWriter().fork().finish(), RangeError);
});

Deno.test("ProtoWriter.string() writes UTF-8 with the right prefix for short and long strings", () => {
  for (
    const s of [
      "",
      "a/b",
      "é".repeat(50),
      "x".repeat(42),
      "x".repeat(43),
      "日本".repeat(100),
      "\u{1F600}",
    ]
  ) {
    const b = new ProtoWriter(16).string(s).finish();
    const r = new ProtoReader(b);
    assertEquals(r.string(), s);
    assertEquals(r.done, true);
    assertEquals(
      b.length,
      varintSize(new TextEncoder().encode(s).length) +
        new TextEncoder().encode(s).length,
    );
  }
});

Deno.test("ProtoReader throws RangeError on premature end, SyntaxError on bad data", () => {
  assertThrows(() => new ProtoReader(hex("80")).uint32(), RangeError);
  assertThrows(() => new ProtoReader(hex("8080")).int64(), RangeError);
  assertThrows(() => new ProtoReader(hex("0000")).double(), RangeError);
  assertThrows(() => new ProtoReader(hex("05616263")).bytes(), RangeError);
  assertThrows(() => new ProtoReader(hex("0a05")).skip(2), RangeError);
  assertThrows(
    () => new ProtoReader(hex("ffffffffffffffffffff01")).int64(),
    SyntaxError,
  );
  assertThrows(() => new ProtoReader(hex("0b")).key(), SyntaxError); // wire type 3 (group)
  assertThrows(() => new ProtoReader(hex("02c328")).string(), SyntaxError); // invalid UTF-8
  assertThrows(() => new ProtoReader(new Uint8Array(4), 2, 8), RangeError);
});

Deno.test("ProtoReader reads packed and unpacked repeated scalars alike", () => {
  const packed = new ProtoReader(hex("10000000000000f03f0000000000000040"));
  assertEquals(packed.doubles(WireType.Len, []), [1, 2]);
  assertEquals(
    new ProtoReader(hex("000000000000f03f")).doubles(WireType.I64, [0]),
    [0, 1],
  );
  assertEquals(new ProtoReader(hex("0400000000")).floats(WireType.Len, []), [
    0,
  ]);
  assertEquals(new ProtoReader(hex("0000803e")).floats(WireType.I32, []), [
    0.25,
  ]);
  assertEquals(
    new ProtoReader(hex("0301ac02")).varints(
      WireType.Len,
      [],
      (r) => r.int64(),
    ),
    [1, 300],
  );
  assertEquals(
    new ProtoReader(hex("ac02")).varints(WireType.Varint, [], (r) => r.int64()),
    [300],
  );
  assertThrows(
    () => new ProtoReader(hex("03000000")).doubles(WireType.Len, []),
    SyntaxError,
  );
});

Deno.test("ProtoReader works on a subarray with a non-zero byteOffset", () => {
  const big = new Uint8Array(20);
  big.set(hex("09000000000000f83f"), 7);
  const r = new ProtoReader(big.subarray(7, 16));
  assertEquals(r.key(), [1, 1]);
  assertEquals(r.double(), 1.5);
});

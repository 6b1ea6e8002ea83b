import {
  CorruptRecordError,
  encodeEvent,
  encodeRecord,
  maskedCrc32c,
  RecordReader,
} from "../../src/tensorboard/mod.ts";
import { assert, assertEquals, assertThrows, hex, toHex } from "./_util.ts";

const first = encodeRecord(
  encodeEvent({ wallTime: 1.5, step: 0, fileVersion: "brain.Event:2" }),
);
const scalar = encodeRecord(
  encodeEvent({
    wallTime: 1.5,
    step: 3,
    summary: { value: [{ tag: "a/b", simpleValue: 0.25 }] },
  }),
);
const file = new Uint8Array([...first, ...scalar]);

Deno.test("encodeRecord() frames the tf_record.rs example", () => {
  const payload = new Uint8Array([
    ...hex("0900008038 99d6d741 1a0d"),
    ...new TextEncoder().encode("brain.Event:2"),
  ]);
  const r = encodeRecord(payload);
  assertEquals(toHex(r.subarray(0, 12)), "1800000000000000a37f4b22");
  assertEquals(new DataView(r.buffer).getUint32(12 + 24, true), 0xab364b12);
  assertEquals(maskedCrc32c(r, 12, 36), 0xab364b12);
});

Deno.test("RecordReader yields records fed one byte at a time", () => {
  const reader = new RecordReader();
  const got: [number, string][] = [];
  for (let i = 0; i < file.length; i++) {
    reader.push(file.slice(i, i + 1));
    for (const r of reader.records()) got.push([r.offset, toHex(r.payload)]);
  }
  assertEquals(got, [[0, toHex(first.subarray(12, 36))], [
    40,
    toHex(scalar.subarray(12, 37)),
  ]]);
  assertEquals(reader.finish(), undefined);
  assertEquals(reader.offset, file.length);
});

Deno.test("RecordReader reports a truncated tail at every cut of the last record", () => {
  for (let cut = first.length; cut < file.length; cut++) {
    const reader = new RecordReader();
    reader.push(file.slice(0, cut));
    const records = [...reader.records()];
    const t = reader.finish();
    if (cut === first.length) {
      assertEquals(t, undefined);
      continue;
    }
    assertEquals(records.length, 1, `cut ${cut}`);
    const have = cut - first.length;
    assertEquals(
      t,
      have >= 12 ? { offset: 40, have, need: 41 } : { offset: 40, have },
    );
  }
});

Deno.test("RecordReader throws CorruptRecordError naming the file and offset on a flipped byte", () => {
  for (let i = first.length; i < file.length; i++) {
    const bad = file.slice();
    bad[i] ^= 0x01;
    const reader = new RecordReader({ file: "run/events.x" });
    reader.push(bad);
    let err: unknown;
    try {
      [...reader.records()];
    } catch (e) {
      err = e;
    }
    if (i < first.length + 8 && err instanceof RangeError) continue; // length corrupted to a huge value
    assert(err instanceof CorruptRecordError, `byte ${i}: ${err}`);
    assertEquals(err.file, "run/events.x");
    assertEquals(err.offset, 40);
    assertEquals(err.kind, i < first.length + 12 ? "length-crc" : "data-crc");
    assert(
      err.message.includes("run/events.x") &&
        err.message.includes("byte offset 40"),
      err.message,
    );
  }
});

Deno.test("RecordReader rejects an absurd length before allocating", () => {
  const header = (lo: number, hi: number) => {
    const h = new Uint8Array(12);
    const v = new DataView(h.buffer);
    v.setUint32(0, lo, true);
    v.setUint32(4, hi, true);
    v.setUint32(8, maskedCrc32c(h, 0, 8), true);
    return h;
  };
  for (
    const [lo, hi] of [[0, 1], [0xffffffff, 0xffffffff], [
      256 * 1024 * 1024 + 1,
      0,
    ]]
  ) {
    const reader = new RecordReader({ file: "f" });
    reader.push(header(lo, hi));
    assertThrows(
      () => reader.next(),
      (e: Error) =>
        e instanceof RangeError && /f at byte offset 0/.test(e.message),
    );
  }
  const small = new RecordReader({ maxRecordBytes: 10 });
  small.push(header(11, 0));
  assertThrows(() => small.next(), RangeError);
});

Deno.test("RecordReader keeps earlier payloads valid when later chunks are pushed", () => {
  const reader = new RecordReader();
  reader.push(file.slice(0, 50));
  const [r1] = reader.records();
  const copy = r1.payload.slice();
  reader.push(file.slice(50));
  const [r2] = reader.records();
  assertEquals(r1.payload, copy);
  assertEquals(r2.payload, scalar.subarray(12, 37));
  const empty = encodeRecord(new Uint8Array(0));
  const r = new RecordReader();
  r.push(empty);
  assertEquals([...r.records()].map((x) => x.payload.length), [0]);
});

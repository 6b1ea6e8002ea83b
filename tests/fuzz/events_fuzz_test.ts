// Mutated TensorBoard event files (the fixtures') through decodeEventFile and
// readEvents: each returns, or throws CorruptRecordError, or a RangeError or
// SyntaxError naming the file; nothing else, and no allocation the file
// cannot justify.
import { fail, ok } from "node:assert/strict";
import { join } from "node:path";
import {
  CorruptRecordError,
  decodeEventFile,
  readEvents,
} from "../../src/tensorboard/mod.ts";
import { maskedCrc32c } from "../../src/tensorboard/crc32c.ts";
import { RecordReader } from "../../src/tensorboard/record.ts";
import { FIXTURES } from "../fixtures.ts";
import { assertOk, assertThrows } from "../assert.ts";
import {
  below,
  caseSeed,
  flipBits,
  HUGE,
  putU64,
  randomBytes,
  rng,
} from "./_mutate.ts";

const SEED = Number(Deno.env.get("COX_FUZZ_SEED") ?? 20250614);

async function eventFiles(): Promise<string[]> {
  const out: string[] = [];
  for (const dir of ["types/all-types", "walkthrough1", "walkthrough2"]) {
    const stack = [join(FIXTURES, dir)];
    while (stack.length > 0) {
      const d = stack.pop()!;
      for await (const e of Deno.readDir(d)) {
        if (e.isDirectory) stack.push(join(d, e.name));
        else if (e.name.includes("tfevents")) out.push(join(d, e.name));
      }
    }
  }
  return out.sort().slice(0, 6);
}

function recordsOf(bytes: Uint8Array): { offset: number; length: number }[] {
  const reader = new RecordReader();
  reader.push(bytes);
  return [...reader.records()].map((r) => ({
    offset: r.offset,
    length: r.payload.length,
  }));
}

function sealHeader(b: Uint8Array, at: number): void {
  new DataView(b.buffer).setUint32(at + 8, maskedCrc32c(b, at, at + 8), true);
}

function sealPayload(b: Uint8Array, at: number, length: number): void {
  const p = at + 12;
  if (p + length + 4 > b.length) return;
  new DataView(b.buffer).setUint32(
    p + length,
    maskedCrc32c(b, p, p + length),
    true,
  );
}

function mutate(src: Uint8Array, r: () => number): {
  bytes: Uint8Array;
  mutation: string;
} {
  const records = recordsOf(src);
  const rec = records[below(r, records.length)];
  const b = src.slice();
  switch (below(r, 7)) {
    case 0: {
      const at = below(r, b.length);
      return { bytes: b.subarray(0, at), mutation: `truncate@${at}` };
    }
    case 1: {
      const n = 1 + below(r, 8);
      flipBits(b, r, () => below(r, b.length), n);
      return { bytes: b, mutation: `flip x${n}` };
    }
    case 2: {
      // a length with a valid CRC: absurd, or merely wrong
      const v = r() < 0.5
        ? HUGE[below(r, HUGE.length)]
        : BigInt(below(r, rec.length * 2 + 32));
      putU64(b, rec.offset, v);
      sealHeader(b, rec.offset);
      return { bytes: b, mutation: `length@${rec.offset}=${v}` };
    }
    case 3: {
      // payload damage behind a valid CRC: the protobuf decoder sees it
      const n = 1 + below(r, 6);
      const p = rec.offset + 12;
      for (let k = 0; k < n && rec.length > 0; k++) {
        const at = p + below(r, rec.length);
        b[at] = r() < 0.5 ? b[at] ^ (1 << below(r, 8)) : below(r, 256);
      }
      sealPayload(b, rec.offset, rec.length);
      return { bytes: b, mutation: `payload@${rec.offset} x${n}` };
    }
    case 4: {
      const at = rec.offset + 12 + below(r, Math.max(1, rec.length));
      if (at + 10 <= rec.offset + 12 + rec.length) {
        // a huge varint length inside the payload
        b.set([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], at);
        sealPayload(b, rec.offset, rec.length);
      }
      return { bytes: b, mutation: `varint@${at}` };
    }
    case 5:
      return {
        bytes: randomBytes(r, below(r, 256)),
        mutation: "random",
      };
    default: {
      // a random payload, well framed
      const payload = randomBytes(r, below(r, 200));
      const out = new Uint8Array(payload.length + 16);
      putU64(out, 0, BigInt(payload.length));
      sealHeader(out, 0);
      out.set(payload, 12);
      sealPayload(out, 0, payload.length);
      return { bytes: out, mutation: "random-framed" };
    }
  }
}

function check(
  run: () => unknown,
  file: string,
): "read" | "refused" | string {
  try {
    run();
    return "read";
  } catch (e) {
    if (e instanceof CorruptRecordError && e.file === file) return "refused";
    if (
      (e instanceof RangeError || e instanceof SyntaxError) &&
      e.message.includes(file)
    ) return "refused";
    return `${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`;
  }
}

Deno.test("fuzz: mutated event files decode, or throw CorruptRecordError or a RangeError/SyntaxError naming the file", async () => {
  const files = await eventFiles();
  ok(files.length >= 3, files.join());
  const sources = files.map((f) => Deno.readFileSync(f));
  const tmp = await Deno.makeTempDir({ prefix: "cox-events-fuzz-" });
  const counts = { read: 0, refused: 0 };
  const deadline = performance.now() + 3000;
  let i = 0;
  try {
    for (; i < 20000 && performance.now() < deadline; i++) {
      const r = rng(caseSeed(SEED, i));
      const { bytes, mutation } = mutate(sources[below(r, sources.length)], r);
      const name = `case-${i}.tfevents`;
      const outcome = check(() => decodeEventFile(bytes, name), name);
      if (outcome !== "read" && outcome !== "refused") {
        fail(`case ${i} (${mutation}, seed ${SEED}): ${outcome}`);
      }
      counts[outcome]++;
      if (i % 10 === 0) {
        const path = join(tmp, `events.out.tfevents.${i}`);
        Deno.writeFileSync(path, bytes);
        const viaFile = check(() => readEvents(path), path);
        if (viaFile !== outcome) {
          fail(
            `case ${i} (${mutation}, seed ${SEED}): readEvents gave ${viaFile}, decodeEventFile ${outcome}`,
          );
        }
      }
    }
    console.log(
      `events fuzz: ${i} cases ${JSON.stringify(counts)} (seed ${SEED})`,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  ok(i >= 2000, `only ${i} cases in the time budget (seed ${SEED})`);
  ok(counts.read > 0 && counts.refused > 0, JSON.stringify(counts));
});

function recordHeader(length: bigint): Uint8Array {
  const b = new Uint8Array(12);
  putU64(b, 0, length);
  sealHeader(b, 0);
  return b;
}

Deno.test("a record length of 2^40 is refused before allocating", () => {
  const bytes = new Uint8Array(64);
  bytes.set(recordHeader(2n ** 40n));
  assertThrows(
    () => decodeEventFile(bytes, "huge.tfevents"),
    RangeError,
    "huge.tfevents",
    "1099511627776",
  );
});

Deno.test("a file claiming a 200 MB record allocates no more than it holds", () => {
  const dir = Deno.makeTempDirSync();
  const path = join(dir, "events.out.tfevents.1");
  const bytes = new Uint8Array(3 << 20);
  bytes.set(recordHeader(200n << 20n));
  Deno.writeFileSync(path, bytes);
  const Real = globalThis.Uint8Array;
  let largest = 0;
  class Spy extends Real {
    constructor(...args: unknown[]) {
      super(...(args as [number]));
      if (typeof args[0] === "number") largest = Math.max(largest, args[0]);
    }
  }
  globalThis.Uint8Array = Spy as unknown as Uint8ArrayConstructor;
  let result;
  try {
    result = readEvents(path);
  } finally {
    globalThis.Uint8Array = Real;
    Deno.removeSync(dir, { recursive: true });
  }
  assertOk(result.truncated.length === 1, JSON.stringify(result.files));
  assertOk(largest <= 8 << 20, `allocated ${largest} bytes for a 3 MiB file`);
});

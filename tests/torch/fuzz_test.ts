import { fail, ok, throws } from "node:assert/strict";
import { zipSync } from "npm:fflate@0.8.2/browser";
import { PickleError } from "../../src/pickle/mod.ts";
import {
  readArchive,
  readTorch,
  TorchError,
  writeStateDict,
} from "../../src/torch/mod.ts";
import { rng } from "../pickle/rng.ts";

const FIX = new URL(
  "../../fixtures/cox-0.2/types/all-types/.table_objects/",
  import.meta.url,
);

function check(input: Uint8Array): "ok" | "error" {
  try {
    readTorch(input, { maxTotalBytes: 1 << 24, maxEntryBytes: 1 << 24 });
    return "ok";
  } catch (e) {
    if (e instanceof TorchError || e instanceof PickleError) return "error";
    fail(`readTorch threw ${e} (neither TorchError nor PickleError)`);
  }
}

Deno.test("fuzz: mutated torch archives read or throw TorchError/PickleError", async () => {
  const seeds = [
    await Deno.readFile(new URL("6744204f-eb0f-48b7-9834-30e39a9015a5", FIX)),
    await Deno.readFile(new URL("1965ad3a-b98e-44e5-a414-a7501b448f5d", FIX)),
    writeStateDict({
      a: {
        dtype: "float32",
        shape: [2, 2],
        data: new Float32Array([1, 2, 3, 4]),
      },
      b: { c: { dtype: "int64", shape: [1], data: new BigInt64Array([5n]) } },
    }),
    zipSync({ "x/data.pkl": new Uint8Array([0x80, 2, 0x4e, 0x2e]) }, {
      level: 9,
    }),
  ];
  for (const s of seeds) ok(check(s) === "ok");
  const r = rng(7);
  const counts = { ok: 0, error: 0 };
  const deadline = performance.now() + 2500;
  let i = 0;
  for (; i < 5000 && performance.now() < deadline; i++) {
    const b = seeds[Math.floor(r() * seeds.length)].slice();
    const n = 1 + Math.floor(r() * 3);
    let input = b;
    for (let k = 0; k < n; k++) {
      const at = Math.floor(r() * input.length);
      const kind = r();
      if (kind < 0.6) input[at] ^= 1 << Math.floor(r() * 8);
      else if (kind < 0.8) input[at] = Math.floor(r() * 256);
      else input = input.subarray(0, at);
    }
    counts[check(input)]++;
  }
  ok(i >= 500, `only ${i} archives in the time budget`);
  ok(counts.error > 0 && counts.ok > 0, JSON.stringify(counts));
});

Deno.test("zip bomb: an entry declaring more than the cap is refused before inflating, one lying about its size at the first byte past it", () => {
  const big = new Uint8Array(64 << 20); // 64 MiB of zeros, about 64 KiB deflated
  const bomb = zipSync({
    "archive/data.pkl": new Uint8Array([0x80, 2, 0x4e, 0x2e]),
    "archive/data/0": big,
  }, { level: 9 });
  ok(bomb.length < 1 << 20);
  const t0 = performance.now();
  throws(
    () => readTorch(bomb, { maxEntryBytes: 16 << 20 }),
    (e) => e instanceof TorchError && /limit per entry/.test(e.message),
  );
  // the total limit counts what is inflated: the pickle (None) names no storage
  ok(readTorch(bomb, { maxTotalBytes: 16 << 20 }) === null);
  throws(
    () => readArchive(bomb, { maxTotalBytes: 16 << 20 }),
    (e) => e instanceof TorchError && /limit in total/.test(e.message),
  );
  // deflated entries share the archive's inflate budget
  throws(
    () => readArchive(bomb, { maxInflatedBytes: 1 << 20 }),
    (e) =>
      e instanceof TorchError && e.entry === "archive/data/0" &&
      /archive's limit of 1048576 bytes/.test(e.message),
  );
  // a header that lies about the inflated size does not get past the cap
  const lying = bomb.slice();
  const view = new DataView(lying.buffer);
  for (let p = 0; p + 46 <= lying.length; p++) {
    if (
      view.getUint32(p, true) === 0x02014b50 &&
      view.getUint32(p + 24, true) === big.length
    ) {
      view.setUint32(p + 24, 10, true);
    }
  }
  throws(
    () => readArchive(lying, { maxEntryBytes: 16 << 20 }),
    (e) =>
      e instanceof TorchError && e.entry === "archive/data/0" &&
      /more than the 10 bytes its header declares/.test(e.message),
  );
  ok(performance.now() - t0 < 2000);
  // within every limit it inflates whole (64 MiB of zeros: slow, so untimed)
  ok(readArchive(bomb).entries.get("archive/data/0")!.length === big.length);
});

Deno.test("entries outside the archive folder or with .. are refused", () => {
  const pkl = new Uint8Array([0x80, 2, 0x4e, 0x2e]);
  const cases: Record<string, Uint8Array>[] = [
    { "a/data.pkl": pkl, "b/data/0": pkl },
    { "a/data.pkl": pkl, "a/../../etc/passwd": pkl },
    { "/abs/data.pkl": pkl },
    { "data.pkl": pkl },
  ];
  for (const files of cases) {
    throws(() => readTorch(zipSync(files, { level: 0 })), TorchError);
  }
  throws(() => readTorch(new Uint8Array([1, 2, 3])), TorchError);
  throws(() => readTorch(new Uint8Array(100)), TorchError);
});

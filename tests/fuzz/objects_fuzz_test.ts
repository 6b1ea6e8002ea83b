// Mutated copies of the fixture's .table_objects/ files (pickles and torch
// archives) through the loaders PICKLE and PYTORCH_STATE cells use.
import { fail, ok } from "node:assert/strict";
import { join } from "node:path";
import { PickleError } from "../../src/pickle/mod.ts";
import { TorchError } from "../../src/torch/mod.ts";
import { loadPickle, loadStateDict } from "../../src/run/objects.ts";
import { FIXTURES } from "../fixtures.ts";
import {
  below,
  caseSeed,
  flipBits,
  putU64,
  randomBytes,
  rng,
} from "./_mutate.ts";

const SEED = Number(Deno.env.get("COX_FUZZ_SEED") ?? 20250614);
const DIR = join(FIXTURES, "types", "all-types", ".table_objects");

function mutate(src: Uint8Array, r: () => number): Uint8Array {
  let b = src.slice();
  const n = 1 + below(r, 3);
  for (let k = 0; k < n; k++) {
    const at = below(r, b.length);
    switch (below(r, 5)) {
      case 0:
        flipBits(b, r, () => at, 1);
        break;
      case 1:
        b[at] = below(r, 256);
        break;
      case 2:
        b = b.subarray(0, at);
        break;
      case 3: // an absurd 32- or 64-bit length at a random place
        putU64(b, at, r() < 0.5 ? 0xffffffffn : 2n ** 62n);
        break;
      default:
        b.set(randomBytes(r, Math.min(8, b.length - at)), at);
    }
    if (b.length === 0) break;
  }
  return b;
}

Deno.test("fuzz: mutated fixture object files load, or throw PickleError or TorchError", async () => {
  const names = [...Deno.readDirSync(DIR)].map((e) => e.name).sort();
  const sources = names.map((name) => {
    const bytes = Deno.readFileSync(join(DIR, name));
    return { name, bytes, zip: bytes[0] === 0x50 && bytes[1] === 0x4b };
  });
  ok(sources.some((s) => s.zip) && sources.some((s) => !s.zip));
  for (const s of sources) {
    if (s.zip) loadStateDict(DIR, s.name);
    else loadPickle(DIR, s.name);
  }
  const tmp = await Deno.makeTempDir({ prefix: "cox-objects-fuzz-" });
  const counts = { read: 0, refused: 0 };
  const deadline = performance.now() + 3000;
  let i = 0;
  try {
    for (; i < 5000 && performance.now() < deadline; i++) {
      const r = rng(caseSeed(SEED, i));
      const src = sources[below(r, sources.length)];
      const name = `case-${i}`;
      Deno.writeFileSync(join(tmp, name), mutate(src.bytes, r));
      try {
        if (src.zip) loadStateDict(tmp, name);
        else loadPickle(tmp, name);
        counts.read++;
      } catch (e) {
        if (e instanceof PickleError || e instanceof TorchError) {
          counts.refused++;
        } else {
          fail(
            `case ${i} (from ${src.name}, seed ${SEED}) threw ${
              (e as Error)?.constructor?.name
            }: ${(e as Error)?.message}`,
          );
        }
      }
      Deno.removeSync(join(tmp, name));
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  ok(i >= 500, `only ${i} cases in the time budget (seed ${SEED})`);
  ok(counts.read > 0 && counts.refused > 0, JSON.stringify(counts));
});

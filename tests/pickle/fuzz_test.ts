import { fail, ok } from "node:assert/strict";
import {
  fromBase64Lines,
  pickle,
  PickleError,
  pyFloat,
  PyGlobal,
  PyObject,
  tuple,
  unpickle,
} from "../../src/pickle/mod.ts";
import { rng } from "./rng.ts";

const hex = (b: Uint8Array) =>
  [...b.subarray(0, 200)].map((x) => x.toString(16).padStart(2, "0")).join("");

function seeds(): Uint8Array[] {
  const shared = [1, "s"];
  const values = [
    null,
    [
      1,
      -1,
      2n ** 70n,
      1.5,
      pyFloat(2),
      NaN,
      "ünï\u{1F600}",
      new Uint8Array([0, 255]),
    ],
    {
      a: tuple(1, 2, 3, 4),
      b: new Map([[tuple(1), new Set([1, 2])]]),
      c: [shared, shared],
    },
    new PyObject("m", "C", [1], {
      state: { x: 1 },
      listItems: [1],
      dictItems: [["k", 2]],
    }),
    new PyGlobal("builtins", "float"),
    { dtype: "float32", shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
    { dtype: "int64", shape: [2], data: new BigInt64Array([1n, -1n]) },
    Array.from({ length: 1200 }, (_, i) => i),
  ] as const;
  const out: Uint8Array[] = [];
  for (const v of values) {
    for (const protocol of [0, 1, 2, 3, 4, 5] as const) {
      out.push(pickle(v as never, { protocol }));
    }
  }
  // Python's pickles of numpy values (protocols 2 and 5)
  out.push(fromBase64Lines(
    "gAJjbnVtcHkuY29yZS5tdWx0aWFycmF5Cl9yZWNvbnN0cnVjdApxAGNudW1weQpuZGFycmF5CnEBSwCFcQJjX2NvZGVjcwplbmNvZGUKcQNYAQAAAGJxBFgGAAAAbGF0aW4xcQWGcQZScQeHcQhScQkoSwFLAoVxCmNudW1weQpkdHlwZQpxC1gCAAAAZjRxDImIh3ENUnEOKEsDWAEAAAA8cQ9OTk5K/////0r/////SwB0cRBiiWgDWAkAAAAAAMOAPwAAAEBxEWgFhnESUnETdHEUYi4=",
  ));
  out.push(fromBase64Lines(
    "gAWVewAAAAAAAACMEm51bXB5LmNvcmUubnVtZXJpY5SMC19mcm9tYnVmZmVylJOUKJYIAAAAAAAAAAAAwD8AAABAlIwFbnVtcHmUjAVkdHlwZZSTlIwCZjSUiYiHlFKUKEsDjAE8lE5OTkr/////Sv////9LAHSUYksChZSMAUOUdJRSlC4=",
  ));
  return out;
}

const OPCODES = [..."(.012FIJKLMNPQRSTUVXabcde}ghijl]opqrst)uGBC"].map((c) =>
  c.charCodeAt(0)
).concat(Array.from({ length: 25 }, (_, i) => 0x80 + i));

function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const b = [...src];
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * b.length);
    switch (Math.floor(r() * 6)) {
      case 0:
        b[at] ^= 1 << Math.floor(r() * 8);
        break;
      case 1:
        b.length = at;
        break;
      case 2:
        b.splice(at, 0, OPCODES[Math.floor(r() * OPCODES.length)]);
        break;
      case 3:
        b[at] = Math.floor(r() * 256);
        break;
      case 4: // a huge length after a length-prefixed opcode
        b.splice(at, 0, 0x8e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f);
        break;
      default:
        b.splice(at, Math.floor(r() * 8));
    }
  }
  return new Uint8Array(b);
}

function check(input: Uint8Array): "ok" | "error" {
  try {
    unpickle(input, { persistentLoad: (pid) => pid });
    return "ok";
  } catch (e) {
    if (e instanceof PickleError) return "error";
    fail(`unpickle threw ${e} (not a PickleError) for ${hex(input)}`);
  }
}

Deno.test("fuzz: mutated and random pickles decode or throw PickleError", () => {
  const r = rng(20240601);
  const base = seeds();
  for (const s of base) ok(check(s) === "ok");
  const deadline = performance.now() + 2500;
  const counts = { ok: 0, error: 0 };
  let i = 0;
  for (; i < 20000 && performance.now() < deadline; i++) {
    let input: Uint8Array;
    if (i % 5 === 0) {
      input = Uint8Array.from(
        { length: Math.floor(r() * 64) },
        () => Math.floor(r() * 256),
      );
    } else {
      input = mutate(base[Math.floor(r() * base.length)], r);
    }
    counts[check(input)]++;
  }
  ok(i >= 1000, `only ${i} inputs in the time budget`);
  ok(counts.error > 0 && counts.ok > 0, JSON.stringify(counts));
});

Deno.test("fuzz: hostile shapes are refused quickly", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const cases = [
    // a 2**62-byte BINBYTES8
    new Uint8Array([0x80, 4, 0x8e, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x2e]),
    // deep nesting: 100000 lists appended inside each other
    new Uint8Array([
      ...Array(100000).fill(0x5d),
      ...Array(99999).fill(0x61),
      0x2e,
    ]),
    // 200000 MARKs
    new Uint8Array([...Array(200000).fill(0x28), 0x2e]),
    enc("L" + "9".repeat(20000) + "\n."),
    enc("(V\\u12\n."),
  ];
  for (const c of cases) {
    const t0 = performance.now();
    try {
      unpickle(c);
      fail("should not decode");
    } catch (e) {
      ok(e instanceof PickleError, String(e));
    }
    ok(performance.now() - t0 < 1000);
  }
});

import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import {
  pickle,
  PickleError,
  PyObject,
  tuple,
  unpickle,
} from "../../src/pickle/mod.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

Deno.test("UNICODE: raw-unicode-escape as Python decodes it", () => {
  strictEqual(unpickle(bytes("V\\\\u0041\n.")), "\\\\u0041");
  strictEqual(unpickle(bytes("V\\u0041\\x\n.")), "A\\x");
  strictEqual(unpickle(bytes("V\\U0001f600\xe9\n.")), "\u{1F600}\u00e9");
  throws(() => unpickle(bytes("V\\u00\n.")), PickleError);
});

Deno.test("STRING: Python 2 quoted strings", () => {
  strictEqual(unpickle(bytes("S'a\\'b\\n\\x41\\101'\n.")), "a'b\nAA");
  deepStrictEqual(
    unpickle(bytes("S'\\xff'\n."), { encoding: "bytes" }),
    new Uint8Array([255]),
  );
  throws(() => unpickle(bytes("Sabc\n.")), PickleError);
});

Deno.test("INST and OBJ make inert objects with state", () => {
  const v = unpickle(bytes("(i__main__\nC\n(dS'x'\nI1\nsb.")) as PyObject;
  strictEqual(v instanceof PyObject, true);
  strictEqual(`${v.module}.${v.name}`, "__main__.C");
  deepStrictEqual({ ...(v.state as object) }, { x: 1 });
});

Deno.test("persistent ids need persistentLoad", () => {
  throws(() => unpickle(bytes("PX\n.")), PickleError);
  strictEqual(
    unpickle(bytes("PX\n."), { persistentLoad: (p) => `<${p}>` }),
    "<X>",
  );
  const out = pickle([1, "x"], {
    protocol: 2,
    persistentId: (o) => Array.isArray(o) ? "ref" : undefined,
  });
  strictEqual(unpickle(out, { persistentLoad: (p) => p }), "ref");
});

Deno.test("protocol 5 out-of-band buffers", () => {
  // PROTO 5, NEXT_BUFFER, READONLY_BUFFER, STOP
  const p = new Uint8Array([0x80, 5, 0x97, 0x98, 0x2e]);
  throws(() => unpickle(p), PickleError);
  deepStrictEqual(
    unpickle(p, { buffers: [new Uint8Array([7])] }),
    new Uint8Array([7]),
  );
});

Deno.test("extension codes, unknown opcodes and bad memo gets are errors with offsets", () => {
  throws(
    () => unpickle(new Uint8Array([0x80, 2, 0x82, 1, 0x2e])),
    (e) => e instanceof PickleError && e.opcode === "EXT1" && e.offset === 2,
  );
  throws(
    () => unpickle(new Uint8Array([0xff])),
    (e) => e instanceof PickleError && e.offset === 0,
  );
  throws(() => unpickle(bytes("g3\n.")), PickleError);
});

Deno.test("tuples that contain themselves through a list round-trip", () => {
  const l: unknown[] = [];
  const t = tuple(l as never, 1);
  l.push(t);
  for (const protocol of [0, 2, 4] as const) {
    const back = unpickle(pickle(t, { protocol })) as unknown[];
    strictEqual((back[0] as unknown[])[0], back);
  }
});

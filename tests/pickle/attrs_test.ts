import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import {
  pickle,
  PickleError,
  PyGlobal,
  PyTuple,
  tuple,
  unpickle,
} from "../../src/pickle/mod.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const latin1 = (b: Uint8Array) => String.fromCharCode(...b);
function dict(entries: Record<string, unknown>): Record<string, unknown> {
  return Object.assign(Object.create(null), entries);
}

const LIST_OF_TUPLES =
  "(lp0\n(I1\n(lp1\nVstep_size\np2\naVtolerance\np3\naVinitial_x\np4\naVout_dir\np5\natp6\na.";
const SCHEMA =
  "(dp0\nVschema\np1\n(dp2\nVstep_size\np3\nc__builtin__\nfloat\np4\nsVtolerance\np5\ng4\nsVout_dir\np7\nc__builtin__\nunicode\np8\nssVname\np9\nVmetadata\np10\ns.";
const INT_KEYS =
  "(dp0\nI1\n(dp1\nVnames\np2\n(lp3\nNasVtype\np4\nVIndex\np5\nssVindex\np6\n(dp7\ns.";

Deno.test("PyTables attribute: list of tuples", () => {
  const v = unpickle(enc(LIST_OF_TUPLES));
  deepStrictEqual(v, [
    tuple(1, ["step_size", "tolerance", "initial_x", "out_dir"]),
  ]);
  strictEqual((v as unknown[])[0] instanceof PyTuple, true);
});

Deno.test("PyTables attribute: dict with globals and memo get", () => {
  const v = unpickle(enc(SCHEMA)) as Record<string, unknown>;
  const float = new PyGlobal("builtins", "float");
  deepStrictEqual(
    v,
    dict({
      schema: dict({
        step_size: float,
        tolerance: float,
        out_dir: new PyGlobal("builtins", "str"),
      }),
      name: "metadata",
    }),
  );
  const schema = v.schema as Record<string, unknown>;
  strictEqual(schema.step_size, schema.tolerance); // the memo shares the object
});

Deno.test("PyTables attribute: int keys make a Map", () => {
  const v = unpickle(enc(INT_KEYS));
  deepStrictEqual(
    v,
    new Map<unknown, unknown>([
      [1, dict({ names: [null], type: "Index" })],
      ["index", dict({})],
    ]),
  );
});

Deno.test("PyTables attribute: None", () => {
  strictEqual(unpickle(enc("N.")), null);
});

Deno.test("protocol 0 writer round-trips the attribute pickles", () => {
  for (const text of [LIST_OF_TUPLES, SCHEMA, INT_KEYS, "N."]) {
    const v = unpickle(enc(text));
    const out = pickle(v, { protocol: 0 });
    deepStrictEqual(unpickle(out), v);
  }
});

Deno.test("protocol 0 writer output matches Python's text", () => {
  strictEqual(
    latin1(pickle([tuple(1, ["step_size", "out_dir"])], { protocol: 0 })),
    "(lp0\n(I1\n(lp1\nVstep_size\np2\naVout_dir\np3\natp4\na.",
  );
  strictEqual(
    latin1(
      pickle({ a: new PyGlobal("builtins", "float") }, { protocol: 0 }),
    ),
    "(dp0\nVa\np1\nc__builtin__\nfloat\np2\ns.",
  );
  strictEqual(
    latin1(pickle(new PyGlobal("builtins", "str"), { protocol: 0 })),
    "c__builtin__\nunicode\np0\n.",
  );
  strictEqual(latin1(pickle(null, { protocol: 0 })), "N.");
  // byte for byte what PyTables wrote
  strictEqual(
    latin1(pickle(unpickle(enc(LIST_OF_TUPLES)), { protocol: 0 })),
    LIST_OF_TUPLES,
  );
});

Deno.test("malformed attribute pickles throw PickleError", () => {
  for (const bad of ["(lp0\n(I1\n", "(dp0\nVa\ns.", "Vabc", "(dp0\ng9\n."]) {
    throws(() => unpickle(enc(bad)), PickleError);
  }
});

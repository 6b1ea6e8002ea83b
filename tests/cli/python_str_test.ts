// pyStr/pyRepr against what CPython 3 prints for the same values.
import { assertEquals } from "../assert.ts";
import { pyRepr, pyStr } from "../../src/python_str.ts";
import { pyFloat, tuple } from "../../src/pickle/mod.ts";

Deno.test("pyStr prints floats as Python's repr: shortest round trip, exponent from 1e16 and below 1e-4", () => {
  const cases: [number, string][] = [
    [0.1, "0.1"],
    [1e-5, "1e-05"],
    [0.0001, "0.0001"],
    [1e16, "1e+16"],
    [1e15, "1000000000000000.0"],
    [3, "3.0"],
    [-0, "-0.0"],
    [0.500005, "0.500005"],
    [1 / 3, "0.3333333333333333"],
    [Infinity, "inf"],
    [-Infinity, "-inf"],
    [NaN, "nan"],
    [2.5e-7, "2.5e-07"],
  ];
  for (const [x, want] of cases) assertEquals(pyStr(x, "float"), want, `${x}`);
});

Deno.test("pyStr prints ints as digits, bools as True/False, None, and str as itself", () => {
  assertEquals(pyStr(3, "int"), "3");
  assertEquals(pyStr(3), "3");
  assertEquals(pyStr(-0, "int"), "0");
  assertEquals(pyStr(2n ** 70n, "int"), "1180591620717411303424");
  assertEquals(pyStr(true, "bool"), "True");
  assertEquals(pyStr(false), "False");
  assertEquals(pyStr(null), "None");
  assertEquals(pyStr("a'b", "str"), "a'b");
  assertEquals(pyStr(0.25), "0.25");
  assertEquals(pyStr(pyFloat(2)), "2.0");
});

Deno.test("pyStr of containers uses repr inside, as Python does", () => {
  assertEquals(pyStr([1, "a", 0.5, null, true]), "[1, 'a', 0.5, None, True]");
  assertEquals(pyStr(tuple(1)), "(1,)");
  assertEquals(pyStr(tuple(1, 2)), "(1, 2)");
  assertEquals(pyStr(tuple()), "()");
  const dict = Object.assign(Object.create(null), { lr: 0.1, name: "x" });
  assertEquals(pyStr(dict), "{'lr': 0.1, 'name': 'x'}");
  assertEquals(pyStr(new Map<unknown, unknown>([[1, "a"]])), "{1: 'a'}");
  assertEquals(pyStr(new Set()), "set()");
  assertEquals(pyStr(new Set([1, 2])), "{1, 2}");
  assertEquals(pyStr(new Uint8Array([104, 105, 0, 39])), `b"hi\\x00'"`);
});

Deno.test("pyRepr quotes strings as Python: single quotes unless only ' is inside, escapes", () => {
  assertEquals(pyRepr("abc"), "'abc'");
  assertEquals(pyRepr("it's"), `"it's"`);
  assertEquals(pyRepr(`'"`), `'\\'"'`);
  assertEquals(pyRepr("a\nb\\"), "'a\\nb\\\\'");
  assertEquals(pyRepr("\x01é"), "'\\x01é'");
});

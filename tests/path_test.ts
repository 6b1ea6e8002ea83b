// src/path.ts gives node:path's results (POSIX) for every path shape the
// library meets: absolute and relative, `.`/`..`, repeated and trailing
// slashes, empty segments.
import * as node from "node:path";
import * as ours from "../src/path.ts";
import { assertEquals } from "./assert.ts";

const PARTS = [
  "",
  "/",
  "a",
  "b",
  ".",
  "..",
  "a/b",
  "/a",
  "a/",
  "//",
  "../x",
  "./y",
  "c.h5",
  "d/../e",
  "/a/./b/",
];

/** Every path of up to three parts of PARTS joined by "/" or by nothing. */
function samples(): string[] {
  const out = new Set<string>();
  for (const a of PARTS) {
    out.add(a);
    for (const b of PARTS) {
      out.add(a + b);
      out.add(`${a}/${b}`);
      for (const c of ["", "/", "x", ".."]) out.add(`${a}/${b}${c}`);
    }
  }
  return [...out];
}

Deno.test("path: join, dirname, basename, isAbsolute and resolve agree with node:path", () => {
  const paths = samples();
  for (const p of paths) {
    assertEquals(ours.isAbsolute(p), node.isAbsolute(p), `isAbsolute(${p})`);
    assertEquals(ours.resolve(p), node.resolve(p), `resolve(${p})`);
    assertEquals(ours.join(p), node.join(p), `join(${p})`);
    // node keeps a leading "//" in dirname; we never make such paths
    if (!p.startsWith("//")) {
      assertEquals(ours.dirname(p), node.dirname(p), `dirname(${p})`);
    }
    assertEquals(ours.basename(p), node.basename(p), `basename(${p})`);
  }
  for (const a of PARTS) {
    for (const b of paths.slice(0, 200)) {
      assertEquals(ours.join(a, b), node.join(a, b), `join(${a}, ${b})`);
      assertEquals(ours.join(a, b, "z"), node.join(a, b, "z"));
      assertEquals(
        ours.resolve(a, b),
        node.resolve(a, b),
        `resolve(${a}, ${b})`,
      );
      assertEquals(
        ours.relative(a, b),
        node.relative(a, b),
        `relative(${a}, ${b})`,
      );
    }
  }
  assertEquals(ours.join(), node.join());
  assertEquals(ours.resolve(), node.resolve());
  assertEquals(ours.sep, node.sep);
});

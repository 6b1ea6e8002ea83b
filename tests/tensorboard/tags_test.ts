import { cleanTag } from "../../src/tensorboard/mod.ts";
import { assertEquals } from "./_util.ts";

Deno.test("cleanTag() replaces characters outside [-/\\w.] and strips leading slashes", () => {
  const cases: [string, string][] = [
    ["line_graphs/mx^2", "line_graphs/mx_2"],
    ["a b:c", "a_b_c"],
    ["/x/y", "x/y"],
    ["//x", "x"],
    ["é_ü-1.2/ß", "é_ü-1.2/ß"],
    ["日本/データ", "日本/データ"],
    ["e\u0301", "e_"],
    ["\u{1F600}", "_"],
    ["", ""],
    ["_/a", "_/a"],
  ];
  for (const [input, want] of cases) assertEquals(cleanTag(input), want, input);
});

// --filter-param's regular expressions are Python's: a battery of patterns
// against a battery of inputs gives what real Python's re.match gives.
import { assertEquals, assertOk } from "../assert.ts";
import {
  compilePythonRegex,
  pythonMatch,
  PythonRegexError,
} from "../../src/sweep/python_regex.ts";
import { ignoreUnless, runPython } from "../interop/python.ts";

const INPUTS = [
  "adam",
  "adam\n",
  "Adam",
  "ADAM",
  "adamw",
  "sgd",
  "sgd\n",
  "sgd\n\n",
  "x\nsgd",
  "aa",
  "aaa",
  "",
  "0.1",
  "1e-05",
  "3.0",
  "True",
  "None",
  "ünïcödé",
  "日本語",
  "٣٤",
  "a b",
  "a\u00a0b",
  "a\u2028b",
  "a\rb",
  "tab\there",
  "{1}",
  "a{,2}",
  "[1, 2]",
  "(0.9, 0.99)",
  "x-y_z",
  "café au lait",
  "\u0661\u0662",
  "$5",
  "a.b",
  "a\nb",
  "résumé",
  "abcabc",
  "abab",
];

const PATTERNS = [
  "adam",
  "adam$",
  "adam\\Z",
  "\\Aadam",
  "sgd$",
  "sgd\\Z",
  "^sgd",
  "(?m)^sgd",
  "(?m)sgd$",
  "x$",
  "a{,2}$",
  "a{,2}\\Z",
  "a{2}",
  "a{2,}",
  "a{1,2}?a",
  "a{",
  "a{,",
  "{1}",
  "a{,2}",
  "\\w+$",
  "\\w+\\Z",
  "\\d",
  "\\d+\\Z",
  "\\D",
  "\\W",
  "\\s",
  "a\\sb",
  "a\\Sb",
  "[\\w-]+\\Z",
  "[^\\W\\d]+",
  "[\\W]",
  "[^\\s]+",
  "(?i)adam$",
  "(?i:ADAM)",
  "(?i)ÜNÏ",
  "(?P<name>a)(?P=name)",
  "(?P<x>ab)(?P=x)\\Z",
  "(ab)\\1",
  "(?s)a.b",
  "a.b",
  "(?s:a.)b",
  "(?x) a d a m  # comment",
  "(?x)a\\ b",
  "(?x)[ ]b",
  "(?a)\\w+\\Z",
  "(?a)\\d",
  "\\bcafé\\b",
  "café\\b",
  "\\Bdam",
  "1e-0[5-9]",
  "0\\.1",
  "3\\.0\\Z",
  "True|False",
  "(True|None)\\Z",
  "\\[1, 2\\]",
  "\\(0\\.9",
  "[]a]",
  "[^]a]",
  "[a-]",
  "[\\]]",
  "\\$5",
  "\\x61",
  "\\u00fc",
  "\\U0001F600?\\w",
  "\\141",
  "\\0",
  "tab\\there",
  "a\\rb",
  ".*\\Z",
  "(?#comment)adam",
  "(a)|b",
  "(?:a|b)+\\Z",
  "(?=a)adam",
  "(?!s)\\w+",
  "(?<=a)d",
  "(?<!x)a",
  "a*?$",
  "[a-c]+\\Z",
  "[\\d.]+\\Z",
  "[.]",
  "a|",
  "",
  "日本",
  "\\w\\w\\w\\Z",
  // Python refuses these
  "*a",
  "a**",
  "(a",
  "a)",
  "[a",
  "\\p{L}",
  "\\q",
  "(?P<1>a)",
  "(?P=nope)",
  "\\2(a)",
  "a(?i)b",
  "[z-a]",
  "(?<n>a)",
  "a{3,2}",
  // JavaScript cannot do these
  "(?>a)",
  "a*+",
  "(a)?(?(1)b|c)",
  "\\N{LATIN SMALL LETTER A}",
];

/** Patterns Python accepts that we refuse on purpose (no JavaScript equivalent). */
const UNTRANSLATABLE = new Set([
  "(?>a)",
  "a*+",
  "(a)?(?(1)b|c)",
  "\\N{LATIN SMALL LETTER A}",
]);

Deno.test({
  name:
    "Python regexes match what re.match matches, or are refused as Python refuses them",
  ignore: await ignoreUnless([]),
  async fn() {
    const expected = JSON.parse(
      await runPython(
        [],
        "re_match.py",
        [],
        JSON.stringify({ patterns: PATTERNS, inputs: INPUTS }),
      ),
    ) as (boolean[] | { error: string })[];
    let compared = 0;
    PATTERNS.forEach((pattern, i) => {
      const want = expected[i];
      let re: RegExp | null = null;
      let refusal: Error | null = null;
      try {
        re = compilePythonRegex(pattern);
      } catch (error) {
        refusal = error as Error;
      }
      if (!Array.isArray(want)) {
        assertOk(
          refusal instanceof PythonRegexError,
          `${
            JSON.stringify(pattern)
          }: Python refuses it (${want.error}), we accepted it`,
        );
        return;
      }
      if (UNTRANSLATABLE.has(pattern)) {
        assertOk(
          refusal instanceof PythonRegexError &&
              refusal.message.includes("JavaScript") ||
            refusal?.message.includes("not supported"),
          `${JSON.stringify(pattern)} is refused as untranslatable`,
        );
        return;
      }
      assertEquals(refusal, null, `${JSON.stringify(pattern)}`);
      const got = INPUTS.map((s) => pythonMatch(re!, s));
      INPUTS.forEach((s, k) => {
        assertEquals(
          got[k],
          want[k],
          `re.match(${JSON.stringify(pattern)}, ${JSON.stringify(s)})`,
        );
        compared++;
      });
    });
    assertOk(compared > 3000);
  },
});

Deno.test("cox tensorboard --filter-param keeps the runs re.match keeps, and names what it cannot translate", async () => {
  const { Store } = await import("../../mod.ts");
  const { main } = await import("../../src/cli/main.ts");
  const dir = await Deno.makeTempDir({ prefix: "cox-re-" });
  try {
    for (const opt of ["adam", "adamw", "sgd\n", "Adam"]) {
      using store = await Store.open(dir, `run-${opt.trim()}`);
      store.addTable("metadata", { opt: "str" }).appendRow({ opt });
      store.tensorboard.addScalar("x", 1, 0);
    }
    const run = async (regex: string) => {
      const out: string[] = [];
      const err: string[] = [];
      const status = await main([
        "tensorboard",
        "--logdir",
        dir,
        "--format-str",
        "r",
        "--filter-param",
        "opt",
        regex,
        "--dry-run",
      ], { out: (t) => out.push(t), err: (t) => err.push(t) });
      return { status, out: out.join(""), err: err.join("") };
    };
    const kept = (text: string) =>
      [...text.matchAll(/---(run-\w+)/g)].map((m) => m[1]);
    assertEquals(kept((await run("adam\\Z")).out), ["run-adam"]);
    assertEquals(kept((await run("(?i)adam$")).out), ["run-Adam", "run-adam"]);
    assertEquals(kept((await run("sgd$")).out), ["run-sgd"]);
    assertEquals(kept((await run("a{,2}d")).out), ["run-adam", "run-adamw"]);
    const refused = await run("(?>adam)");
    assertEquals(refused.status, 2);
    assertOk(refused.err.includes("atomic groups"), refused.err);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

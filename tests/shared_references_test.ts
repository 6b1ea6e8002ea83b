// Objects with shared and cyclic references (which our own pickle() writes
// compactly): rendering, str(), CSV and JSON handle them as Python does, in
// bounded time, and no command of the CLI hangs on them.
import { assertEquals, assertOk } from "./assert.ts";
import { OBJECT, PICKLE, Store } from "../mod.ts";
import { encodeObjectCell } from "../src/pickle/cells.ts";
import { MAX_TEXT, pyStr } from "../src/python_str.ts";
import { main } from "../src/cli/main.ts";
import { quietly } from "./warnings.ts";
import { ignoreUnless, requirePython } from "./interop/python.ts";

/** A DAG of `levels` lists, each holding the one below twice. */
function dag(levels: number): unknown[] {
  let node: unknown[] = [];
  for (let i = 0; i < levels; i++) node = [node, node];
  return node;
}

async function python(code: string): Promise<string> {
  const py = (await requirePython([]))!;
  const out = await new Deno.Command(py, { args: ["-c", code] }).output();
  assertOk(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

Deno.test({
  name: "str() of shared and self-referencing values is Python's",
  ignore: await ignoreUnless([]),
  async fn() {
    const self: unknown[] = [1];
    self.push(self);
    const d: Record<string, unknown> = { a: 1 };
    d.me = d;
    const both: unknown[] = [d, d, self];
    const expected = JSON.parse(
      await python(
        "import json\n" +
          "s = [1]; s.append(s)\n" +
          "d = {'a': 1}; d['me'] = d\n" +
          "n = []\nfor _ in range(12): n = [n, n]\n" +
          "print(json.dumps([str(s), str(d), str([d, d, s]), str(n)]))",
      ),
    );
    assertEquals(
      [pyStr(self), pyStr(d), pyStr(both), pyStr(dag(12))],
      expected,
    );
    // a DAG whose text doubles with each level is cut, not expanded for ever
    const text = pyStr(dag(60));
    assertEquals(text.length, MAX_TEXT + 3);
    assertOk(text.startsWith("[".repeat(61) + "], []]"));
    assertOk(text.endsWith("..."));
    assertOk(encodeObjectCell(dag(60) as never).length < 600);
  },
});

Deno.test("cox ls, df (every format) and tensorboard finish on a sweep of shared and cyclic objects", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cox-dag-" });
  try {
    const self: unknown[] = [1];
    self.push(self);
    const d: Record<string, unknown> = { a: 1 };
    d.me = d;
    for (const [id, v, p] of [["dag", dag(60), dag(60)], ["self", self, d]]) {
      using store = await Store.open(dir, id as string);
      store.addTable("metadata", { v: OBJECT, p: PICKLE }).appendRow({ v, p });
      store.tensorboard.addScalar("x", 1, 0);
    }
    const run = async (args: string[]) => {
      const out: string[] = [];
      const { value: status } = await quietly(() =>
        main(args, { out: (t) => out.push(t), err: () => {} })
      );
      assertEquals(status, 0, args.join(" "));
      return out.join("");
    };
    const ls = await run(["ls", dir]);
    assertOk(ls.includes("[1, [...]]"));
    const csv = await run(["df", dir, "metadata", "--format", "csv"]);
    assertOk(csv.includes(`"[1, [...]]","{'a': 1, 'me': {...}}",self`));
    const json = JSON.parse(
      await run(["df", dir, "metadata", "--format", "json"]),
    );
    assertEquals(json[1], {
      v: [1, "[...]"],
      p: { a: 1, me: "{...}" },
      exp_id: "self",
    });
    assertEquals(typeof json[0].v, "string"); // too big to expand: its str()
    assertOk(json[0].v.length <= MAX_TEXT + 3);
    await run(["df", dir, "metadata"]);
    await run(["df", dir, "metadata", "--format", "jsonl"]);
    const tb = await run([
      "tensorboard",
      "--logdir",
      dir,
      "--format-str",
      "{v}",
      "--dry-run",
    ]);
    assertOk(tb.includes("1.[1_ [...]]---self"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

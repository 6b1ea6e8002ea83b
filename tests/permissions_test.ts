// The README's examples run with exactly the permissions it gives
// (--allow-read --allow-write --allow-env --allow-sys=hostname, and
// --allow-run for cox tensorboard), not with -A.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { assertEquals, assertOk } from "./assert.ts";
import { FIXTURES } from "./fixtures.ts";
import {
  MINIMAL_PERMISSIONS,
  ROOT,
  runDeno,
  TENSORBOARD_PERMISSIONS,
} from "./spawn.ts";

const README = await Deno.readTextFile(join(ROOT, "README.md"));

/** The README's ```ts blocks that import ./mod.ts (the runnable ones). */
function readmeSnippets(): string[] {
  return [...README.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1])
    .filter((code) => code.includes(`from "./mod.ts"`));
}

Deno.test("README: the install and run lines give the minimal permissions, never -A", () => {
  const minimal = MINIMAL_PERMISSIONS.join(" ");
  assertOk(!/deno (run|install)[^\n]* -A /.test(README), "a -A is left");
  assertOk(README.includes(`deno run ${minimal} cli.ts`));
  assertOk(
    README.includes(`deno install --global ${minimal} --allow-run -n cox`),
  );
});

Deno.test("README: every code example runs with exactly the minimal permissions", async () => {
  const snippets = readmeSnippets();
  assertOk(snippets.length >= 2, `${snippets.length} snippets`);
  for (const [i, code] of snippets.entries()) {
    const dir = await Deno.makeTempDir({ prefix: "cox-readme-" });
    // run from outside the repository, as a user's script importing us by URL
    const file = join(dir, "example.ts");
    await Deno.writeTextFile(
      file,
      code.replaceAll("/tmp/sweep", join(dir, "sweep")).replaceAll(
        `"./mod.ts"`,
        JSON.stringify(pathToFileURL(join(ROOT, "mod.ts")).href),
      ).replaceAll(
        `"./export.ts"`,
        JSON.stringify(pathToFileURL(join(ROOT, "export.ts")).href),
      ),
    );
    try {
      const { code: status, stderr } = await runDeno([
        "run",
        ...MINIMAL_PERMISSIONS,
        file,
      ]);
      assertEquals(status, 0, `example ${i}:\n${code}\n${stderr}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("README: the cox commands run with exactly the minimal permissions", async () => {
  const sweep = join(FIXTURES, "walkthrough2");
  const out = await Deno.makeTempDir({ prefix: "cox-readme-export-" });
  const run = (permissions: string[], ...args: string[]) =>
    runDeno(["run", ...permissions, join(ROOT, "cli.ts"), ...args]);
  try {
    for (
      const args of [
        ["ls", sweep],
        ["show", join(sweep, "2a02c3b9-f357-4a45-b08f-b214ebaaa387")],
        ["df", sweep, "metadata", "--format", "csv"],
        ["export", sweep, "--out", out, "--partition", "--join-metadata"],
        ["export", sweep, "--out", out, "--format", "arrow"],
      ]
    ) {
      const { code, stderr } = await run(MINIMAL_PERMISSIONS, ...args);
      assertEquals(code, 0, `cox ${args.join(" ")}: ${stderr}`);
    }
    const tb = await run(
      TENSORBOARD_PERMISSIONS,
      "tensorboard",
      "--logdir",
      sweep,
      "--format-str",
      "slope-{slope}",
      "--dry-run",
    );
    assertEquals(tb.code, 0, tb.stderr);
    assertOk(tb.stdout.startsWith("tensorboard --logdir_spec "));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

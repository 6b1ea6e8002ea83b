// Importing the library (mod.ts) or the CLI (cli.ts) does not load the
// Parquet writer: it is reached only through a dynamic import, taken when an
// export runs. The entry export.ts (toParquet, toArrow) loads it statically.
import { join } from "node:path";
import { assertEquals } from "./assert.ts";

const ROOT = join(import.meta.dirname!, "..");

interface InfoModule {
  specifier: string;
  dependencies?: {
    specifier: string;
    code?: { specifier?: string };
    npmPackage?: string;
    isDynamic?: boolean;
  }[];
}

/** The npm packages an entry loads when imported: static edges only. */
async function staticNpmPackages(entry: string): Promise<string[]> {
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", join(ROOT, entry)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(new TextDecoder().decode(stderr));
  const info = JSON.parse(new TextDecoder().decode(stdout));
  const modules = new Map<string, InfoModule>(
    (info.modules as InfoModule[]).map((m) => [m.specifier, m]),
  );
  const packages = new Set<string>();
  const seen = new Set<string>();
  const stack = [...info.roots as string[]];
  while (stack.length > 0) {
    const specifier = stack.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dep of modules.get(specifier)?.dependencies ?? []) {
      if (dep.isDynamic) continue;
      if (dep.npmPackage) packages.add(dep.npmPackage.replace(/_.*$/, ""));
      else if (dep.code?.specifier) stack.push(dep.code.specifier);
    }
  }
  return [...packages].sort();
}

Deno.test("mod.ts and cli.ts do not load hyparquet-writer; export.ts does", async () => {
  const writer = "hyparquet-writer@0.17.0";
  for (const entry of ["mod.ts", "cli.ts"]) {
    const packages = await staticNpmPackages(entry);
    assertEquals(packages.includes(writer), false, `${entry}: ${packages}`);
  }
  // the walk does see npm packages: the library loads Arquero statically
  // (the CLI loads each command, and so Arquero, only when it runs)
  assertEquals(
    (await staticNpmPackages("mod.ts")).includes("arquero@8.0.3"),
    true,
  );
  assertEquals(
    (await staticNpmPackages("cli.ts")).includes("arquero@8.0.3"),
    false,
  );
  const packages = await staticNpmPackages("export.ts");
  assertEquals(packages.includes(writer), true, `export.ts: ${packages}`);
});

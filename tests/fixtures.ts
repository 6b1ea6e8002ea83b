// Access to the reference runs written by the original Python cox (fixtures/cox-0.2).
import { join } from "node:path";

export const FIXTURES =
  new URL("../fixtures/cox-0.2/", import.meta.url).pathname;

export interface ExpectedFrame {
  columns: string[];
  dtypes: Record<string, string>;
  rows: Record<string, unknown>[];
}

export interface ExpectedCollection {
  schemas: Record<string, Record<string, string>>;
  tables: Record<string, ExpectedFrame>;
}

/** What pandas and cox read from a fixture collection. */
export async function expectedCollection(
  name: string,
): Promise<ExpectedCollection> {
  return JSON.parse(
    await Deno.readTextFile(join(FIXTURES, "expected", `${name}.json`)),
  );
}

/** The run folders of a fixture collection. */
export async function fixtureRuns(
  collection: string,
): Promise<{ storage: string; expId: string }[]> {
  const storage = join(FIXTURES, collection);
  const runs: { storage: string; expId: string }[] = [];
  for await (const entry of Deno.readDir(storage)) {
    if (entry.isDirectory) runs.push({ storage, expId: entry.name });
  }
  return runs.sort((a, b) => a.expId.localeCompare(b.expId));
}

/** A cell as the expected JSON writes it (non-finite floats as strings). */
export function jsonValue(v: unknown): unknown {
  if (typeof v === "number" && !Number.isFinite(v)) {
    return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
  }
  if (typeof v === "bigint") return Number(v);
  return v;
}

/** Copies a fixture collection to a fresh temporary folder (tests that write). */
export async function copyCollection(collection: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: `cox-${collection}-` });
  const { success } = await new Deno.Command("cp", {
    args: ["-r", join(FIXTURES, collection), dir],
  }).output();
  if (!success) throw new Error(`could not copy fixture ${collection}`);
  return join(dir, collection);
}

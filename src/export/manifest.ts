/**
 * What a partitioned export holds, kept in `<out>/_cox_export.json` so that
 * the next export into the same folder rewrites only the runs that changed
 * and removes the partitions of runs that are gone.
 *
 * @module
 */

import { join } from "node:path";
import { AtomicFile } from "./atomic_file.ts";
import { MANIFEST_BASENAME } from "./layout.ts";

/** One run's partition of a table, as written. */
export interface ManifestRun {
  /** The run's signature (see {@link runSignature}) when it was exported. */
  signature: string;
  /** The size of the file written: a file of another size (cut short by a crash) is written again. */
  bytes: number;
}

/** One table of a partitioned export. */
export interface ManifestTable {
  /** The table's columns and the export's settings, as text: a change rewrites every partition. */
  layout: string;
  /** Exp id to what was written for the run. */
  runs: Record<string, ManifestRun>;
}

/** The manifest: every table exported, by name. */
export interface Manifest {
  /** The manifest's format. */
  version: 2;
  /** Tables by name. */
  tables: Record<string, ManifestTable>;
}

/** The manifest of `out`, or an empty one (no file, or one we cannot read). */
export function readManifest(out: string): Manifest {
  try {
    const parsed = JSON.parse(
      Deno.readTextFileSync(join(out, MANIFEST_BASENAME)),
    );
    if (parsed?.version === 2 && typeof parsed.tables === "object") {
      return parsed as Manifest;
    }
  } catch {
    // none yet, or unreadable: everything is written afresh
  }
  return { version: 2, tables: {} };
}

/** Writes the manifest of `out` (whole or not at all, synced). */
export function writeManifest(out: string, manifest: Manifest): void {
  const file = new AtomicFile(join(out, MANIFEST_BASENAME));
  try {
    file.write(new TextEncoder().encode(JSON.stringify(manifest, null, 1)));
  } catch (error) {
    file.abort();
    throw error;
  }
  file.commit();
}

/** A file's size, or -1 when it is missing. */
export function fileSize(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return -1;
  }
}

function statText(path: string): string {
  try {
    const info = Deno.statSync(path);
    return `${info.size}@${info.mtime?.getTime() ?? 0}`;
  } catch {
    return "-";
  }
}

/**
 * What a run's partition of a table depends on: its store file and journal
 * (size and modification time) and the table's row count.
 */
export function runSignature(
  storePath: string,
  journalPath: string,
  rows: number,
): string {
  return `${statText(storePath)} ${statText(journalPath)} rows=${rows}`;
}

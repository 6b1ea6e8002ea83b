/**
 * What a partitioned export holds, kept in `<out>/_cox_export.json` so that
 * the next export into the same folder rewrites only the runs that changed
 * and removes the partitions of runs that are gone.
 *
 * @module
 */

import { stampText } from "../file_stamp.ts";
import { join } from "../path.ts";
import { AtomicFile } from "./atomic_file.ts";
import { MANIFEST_BASENAME } from "./layout.ts";
import type { Schema } from "../schema.ts";

/** One run's partition of a table, as written. */
export interface ManifestPart {
  /** The size of the file written: a file of another size (cut short by a crash) is written again. */
  bytes: number;
}

/** One table of a partitioned export. */
export interface ManifestTable {
  /** The table's columns and the export's settings, as text: a change rewrites every partition. */
  layout: string;
  /** Exp id to what was written for the run. */
  runs: Record<string, ManifestPart>;
}

/** One run as it was when every one of its partitions was written. */
export interface ManifestRun {
  /** The run's signature (see {@link runSignature}) when it was exported. */
  signature: string;
  /** Its tables' schemas then: the columns of the export, without opening it again. */
  schemas: Record<string, Schema>;
}

/** The manifest: every table exported, by name, and every run exported. */
export interface Manifest {
  /** The manifest's format. */
  version: 3;
  /** Tables by name. */
  tables: Record<string, ManifestTable>;
  /** Runs by exp id. */
  runs: Record<string, ManifestRun>;
}

/** A manifest of nothing: everything is written afresh. */
export function emptyManifest(): Manifest {
  return { version: 3, tables: {}, runs: {} };
}

/**
 * The manifest of `out`, or an empty one (no file, one we cannot read, or
 * one of an earlier format: then everything is written again, once).
 */
export function readManifest(out: string): Manifest {
  try {
    const parsed = JSON.parse(
      Deno.readTextFileSync(join(out, MANIFEST_BASENAME)),
    );
    if (
      parsed?.version === 3 && typeof parsed.tables === "object" &&
      parsed.tables !== null && typeof parsed.runs === "object" &&
      parsed.runs !== null
    ) {
      return parsed as Manifest;
    }
  } catch {
    // none yet, or unreadable: everything is written afresh
  }
  return emptyManifest();
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
    return stampText(Deno.statSync(path));
  } catch {
    return "-";
  }
}

/**
 * What a run's partitions depend on: the size and modification time of its
 * store file and of its journal (one stat each, the run not opened). A
 * writer's every change of rows changes one of them: it appends to the
 * journal, or writes `store.h5` (whose size or mtime then changes). A file
 * changed within `RACY_MS` of the export counts as changed next time.
 */
export function runSignature(storePath: string, journalPath: string): string {
  return `${statText(storePath)} ${statText(journalPath)}`;
}

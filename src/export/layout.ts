/**
 * Where an export puts its files: `<out>/<table>.<ext>`, or, partitioned as
 * Hive does, `<out>/<table>/exp_id=<id>/part-0.<ext>`.
 *
 * @module
 */

import { join } from "../path.ts";
import { type ExportFormat, FORMAT_EXTENSIONS } from "./sink.ts";

/** The partition column's name (a folder `exp_id=<id>` per run). */
export const PARTITION_COLUMN = "exp_id";

/** The file that records what a partitioned export holds, for the next run. */
export const MANIFEST_BASENAME = "_cox_export.json";

// what Hive's FileUtils.escapePathName escapes (Spark and DuckDB decode %XX)
// deno-lint-ignore no-control-regex
const HIVE_ESCAPED = /[\x00-\x1f"#%'*/:=?\\\x7f{[\]^]/g;

/** A partition value as Hive writes it in a folder name: special characters as `%XX`. */
export function hiveEscape(value: string): string {
  return value.replace(
    HIVE_ESCAPED,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
  );
}

/** The file of a whole table: `<out>/<table>.<ext>`. */
export function tableFile(
  out: string,
  table: string,
  format: ExportFormat,
): string {
  return join(out, `${table}.${FORMAT_EXTENSIONS[format]}`);
}

/** The folder of one run's partition of a table: `<out>/<table>/exp_id=<id>`. */
export function partitionDir(
  out: string,
  table: string,
  expId: string,
): string {
  return join(out, table, `${PARTITION_COLUMN}=${hiveEscape(expId)}`);
}

/** The file in a partition folder. */
export function partitionFile(dir: string, format: ExportFormat): string {
  return join(dir, `part-0.${FORMAT_EXTENSIONS[format]}`);
}

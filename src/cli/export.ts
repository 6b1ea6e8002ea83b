/**
 * `cox export`: the tables of a sweep as Parquet (or Arrow, CSV, JSON Lines)
 * files for DuckDB, Polars and Spark; `exportSweep` does the work.
 *
 * @module
 */

import { exportSweep } from "../export/sweep.ts";
import type { ExportArgs } from "./args.ts";
import { requireDirectory } from "./files.ts";
import type { Io } from "./io.ts";

/** `cox export`: writes the files and says on stderr what it did. */
export async function exportCommand(
  args: ExportArgs,
  io: Io,
): Promise<number> {
  await requireDirectory(args.dir);
  // a bad --filter-param REGEX throws an OptionError, which main() reports
  // with this command's usage
  const result = await exportSweep(args.dir, args.out, {
    tables: args.tables.length ? args.tables : undefined,
    format: args.format,
    partition: args.partition,
    filterParams: args.filters,
    metadataTable: args.metadataTable,
    joinMetadata: args.joinMetadata,
    keepSerialized: args.keepSerialized,
  });
  const parts = [`${result.written.length} files written`];
  if (args.partition) parts.push(`${result.unchanged} unchanged`);
  if (result.removed.length) parts.push(`${result.removed.length} removed`);
  if (result.skipped.length) {
    parts.push(`${result.skipped.length} runs skipped`);
  }
  io.err(
    `cox: exported ${result.runs.length} runs, ${result.tables.length} tables to ${args.out}: ${
      parts.join(", ")
    }\n`,
  );
  return 0;
}

/**
 * `exportSweep`: every table of a sweep to Parquet (or Arrow, CSV, JSON
 * Lines), one file per table or one partition per run, streaming one run at
 * a time.
 *
 * @module
 */

import { join } from "node:path";
import { CollectionReader } from "../reader.ts";
import { JOURNAL_SUFFIX, type Store, STORE_BASENAME } from "../run/store.ts";
import type { Table } from "../run/table.ts";
import type { ColumnKind } from "../schema.ts";
import { warn } from "../warn.ts";
import { firstRow, frameKinds } from "../sweep/decoded_run.ts";
import {
  cellText,
  compileFilters,
  passesFilters,
} from "../sweep/run_filters.ts";
import {
  type Batch,
  cellEncoding,
  convertCells,
  type ExportColumn,
  exportType,
  repeatValue,
} from "./columns.ts";
import { AtomicFile } from "./atomic_file.ts";
import {
  PARTITION_COLUMN,
  partitionDir,
  partitionFile,
  tableFile,
} from "./layout.ts";
import {
  fileSize,
  type Manifest,
  type ManifestTable,
  readManifest,
  runSignature,
  writeManifest,
} from "./manifest.ts";
import { ProgressBar } from "./progress.ts";
import type { ExportFormat } from "./sink.ts";

/** How `exportSweep` exports. */
export interface ExportOptions {
  /** The tables to export (default: every table found in any run). */
  tables?: readonly string[];
  /** Output format (default `parquet`). */
  format?: ExportFormat;
  /**
   * Write a Hive-style dataset, `<out>/<table>/exp_id=<id>/part-0.<ext>`,
   * and on a later export into the same folder rewrite only the runs that
   * changed and remove the partitions of runs that are gone (default false:
   * one file per table, `<out>/<table>.<ext>`, with `exp_id` first).
   */
  partition?: boolean;
  /**
   * Keep only runs whose metadata value `name`, as text, is matched at its
   * start by `regex`, for every pair: `cox tensorboard --filter-param`.
   */
  filterParams?: readonly (readonly [name: string, regex: string])[];
  /** The table of hyperparameters, one row per run (default `metadata`). */
  metadataTable?: string;
  /** Add the metadata table's columns to every other table's rows (default false). */
  joinMetadata?: boolean;
  /**
   * OBJECT and PICKLE columns as their stored cells (base64 pickle, uuid)
   * rather than their decoded value as JSON text: `true` for all, or the
   * names of the columns (default none).
   */
  keepSerialized?: boolean | readonly string[];
  /** Keep only the runs for which this returns true. */
  expFilter?: (expId: string) => boolean;
  /** Show progress bars on stderr (default: when stderr is a terminal). */
  progress?: boolean;
}

/** What an export did. */
export interface ExportResult {
  /** The files written (or rewritten). */
  written: string[];
  /** Partitions left as they were, their runs unchanged since the last export. */
  unchanged: number;
  /** Partition folders removed, their runs gone or filtered out. */
  removed: string[];
  /** Runs skipped, with a warning, because they could not be read. */
  skipped: string[];
  /** The runs exported (after filters). */
  runs: string[];
  /** The tables exported. */
  tables: string[];
}

/** One table's output columns and where each comes from. */
interface TablePlan {
  table: string;
  columns: ExportColumn[];
  /** The table's own columns, in plan order after `exp_id`. */
  own: ExportColumn[];
  /** Joined metadata columns: output column and metadata column name. */
  joined: { column: ExportColumn; source: string }[];
  withExpId: boolean;
  /** Key-value metadata of the files. */
  metadata: Record<string, string>;
}

const EXP_ID_COLUMN: ExportColumn = {
  name: "exp_id",
  type: "utf8",
  kind: "str",
  encoding: "value",
  nullable: false,
};

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** The run folders of `dir` that hold a store file. */
function runFolders(dir: string): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    if (isFile(join(dir, entry.name, STORE_BASENAME))) out.push(entry.name);
  }
  return out.sort();
}

function keptSerialized(
  option: ExportOptions["keepSerialized"],
  column: string,
): boolean {
  return option === true ||
    (Array.isArray(option) && option.includes(column));
}

function column(
  name: string,
  kind: ColumnKind,
  keep: boolean,
): ExportColumn {
  return {
    name,
    type: exportType(kind),
    kind,
    encoding: cellEncoding(kind, keep),
    nullable: true,
  };
}

function planTable(
  reader: CollectionReader,
  table: string,
  options: ExportOptions,
  metadataTable: string,
): TablePlan {
  const schema = reader.schemas[table] ?? {};
  const own = Object.entries(schema).map(([name, kind]) =>
    column(name, kind, keptSerialized(options.keepSerialized, name))
  );
  const withExpId = !options.partition;
  const taken = new Set([
    ...(withExpId ? ["exp_id"] : [PARTITION_COLUMN]),
    ...own.map((c) => c.name),
  ]);
  const joined: TablePlan["joined"] = [];
  if (options.joinMetadata && table !== metadataTable) {
    const metaSchema = reader.schemas[metadataTable] ?? {};
    for (const [source, kind] of Object.entries(metaSchema)) {
      let name = source;
      // a metadata column named like one of the table's gets a prefix
      while (taken.has(name)) name = `${metadataTable}_${name}`;
      taken.add(name);
      joined.push({
        column: column(
          name,
          kind,
          keptSerialized(options.keepSerialized, source),
        ),
        source,
      });
    }
  }
  const columns = [
    ...(withExpId ? [EXP_ID_COLUMN] : []),
    ...own,
    ...joined.map((j) => j.column),
  ];
  const metadata: Record<string, string> = {
    "cox.table": table,
    "cox.schema": JSON.stringify(schema),
    "cox.columns": JSON.stringify(
      columns.map((c) => ({
        name: c.name,
        kind: c.kind,
        encoding: c.encoding,
      })),
    ),
  };
  if (joined.length > 0) {
    metadata["cox.joined"] = JSON.stringify({
      table: metadataTable,
      columns: Object.fromEntries(joined.map((j) => [j.column.name, j.source])),
    });
  }
  return { table, columns, own, joined, withExpId, metadata };
}

/** The first row of a run's metadata table, OBJECT/PICKLE decoded unless kept serialized. */
function metadataRow(
  store: Store,
  metadataTable: string,
  options: ExportOptions,
): Record<string, unknown> | undefined {
  const table = store.tables.get(metadataTable);
  if (table === undefined || table.nrows === 0) return undefined;
  const keep = Object.keys(table.schema).filter((c) =>
    keptSerialized(options.keepSerialized, c)
  );
  const columns = table.decodedColumns(keep);
  const row: Record<string, unknown> = {};
  for (const [name, cells] of Object.entries(columns)) row[name] = cells[0];
  return row;
}

/** One run's rows of a table, as the plan's columns. */
function runBatch(
  plan: TablePlan,
  table: Table,
  expId: string,
  meta: Record<string, unknown> | undefined,
): Batch {
  const keep = plan.own.filter((c) => c.encoding !== "json").map((c) => c.name);
  const cells = table.decodedColumns(keep);
  const first = Object.values(cells)[0];
  const rows = first === undefined ? table.nrows : first.length;
  const columns = [];
  if (plan.withExpId) columns.push(repeatValue(EXP_ID_COLUMN, expId, rows));
  for (const c of plan.own) columns.push(convertCells(c, cells[c.name], rows));
  for (const j of plan.joined) {
    columns.push(repeatValue(j.column, meta?.[j.source], rows));
  }
  return { rows, columns };
}

/** The runs that pass `filterParams`, as `cox tensorboard` decides it. */
function filteredRuns(
  reader: CollectionReader,
  options: ExportOptions,
  metadataTable: string,
): Set<string> {
  const filters = compileFilters(options.filterParams ?? []);
  const ids = [...reader.stores.keys()];
  if (filters.length === 0) return new Set(ids);
  const kinds = frameKinds(reader, metadataTable);
  const columns = [...Object.keys(kinds), "exp_id"];
  for (const [name] of filters) {
    if (!columns.includes(name)) {
      throw new Error(
        `--filter-param names ${name}, which is no column of table "${metadataTable}"; ` +
          `its columns are ${columns.join(", ")}`,
      );
    }
  }
  const kept = new Set<string>();
  for (const [expId, store] of reader.stores) {
    const table = store.tables.get(metadataTable);
    const row = table === undefined ? undefined : firstRow(table);
    if (row === undefined) {
      warn(
        `skipping run ${expId}: it has no row in table "${metadataTable}" to filter on`,
      );
      continue;
    }
    row.exp_id = expId;
    if (passesFilters(filters, (c) => cellText(row[c], kinds[c]))) {
      kept.add(expId);
    }
  }
  return kept;
}

/**
 * Exports the tables of every run under `dir` into the folder `out`.
 *
 * By default each table becomes one file, `<out>/<table>.parquet`, holding
 * every run's rows in exp id order with `exp_id` as the first column. With
 * `partition`, each run's rows go to `<out>/<table>/exp_id=<id>/part-0.parquet`
 * (a Hive-style dataset that DuckDB, Spark and Polars read as one table), and
 * exporting again into the same `out` rewrites only what changed.
 *
 * Types are kept: int as INT64 (exact past 2^53), float as DOUBLE (NaN and
 * infinities kept), bool as BOOLEAN, str as UTF8; OBJECT and PICKLE cells as
 * their decoded value in JSON text (or their stored cell, `keepSerialized`),
 * PYTORCH_STATE cells as their uuid. The cox schema and the table name are in
 * each Parquet file's key-value metadata (`cox.schema`, `cox.table`).
 *
 * One run's table is in memory at a time. A run that cannot be read is
 * skipped with a warning naming it; files are written under a temporary name
 * and renamed when complete, so no half-written file is ever in place.
 *
 * @example
 * ```ts
 * import { exportSweep, Store } from "../../mod.ts";
 * const dir = await Deno.makeTempDir();
 * using store = await Store.open(dir, "run-1");
 * store.addTable("log", { step: "int", loss: "float" }).appendRow({ step: 0, loss: 1.5 });
 * store.close();
 * const out = await Deno.makeTempDir();
 * const result = await exportSweep(dir, out, { progress: false });
 * console.assert(result.written[0] === `${out}/log.parquet`);
 * ```
 */
export async function exportSweep(
  dir: string,
  out: string,
  options: ExportOptions = {},
): Promise<ExportResult> {
  const format = options.format ?? "parquet";
  // the writers (hyparquet-writer above all) load only when exporting, not
  // with the library
  const { openSink } = await import("./formats.ts");
  const metadataTable = options.metadataTable ?? "metadata";
  const showProgress = options.progress ?? Deno.stderr.isTerminal();
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    throw new Error(`Cannot export ${dir}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  if (!info.isDirectory) throw new Error(`Cannot export ${dir}: not a folder`);
  const candidates = runFolders(dir).filter((id) =>
    !options.expFilter || options.expFilter(id)
  );
  using reader = await CollectionReader.open(dir, {
    skipErrors: true,
    expFilter: options.expFilter,
    progress: showProgress,
  });
  // a `<run>_snapshot` copy that the reader passed over is not a skipped run
  const all = new Set(candidates);
  const skipped = candidates.filter((id) =>
    !reader.stores.has(id) &&
    !(id.endsWith("_snapshot") && all.has(id.slice(0, -"_snapshot".length)))
  );
  const tables = options.tables ? [...options.tables] : [...reader.tables];
  for (const table of tables) {
    if (!reader.tables.has(table)) {
      const known = [...reader.tables];
      throw new Error(
        `No run under ${dir} has a table "${table}"; ` +
          (known.length
            ? `the tables are ${known.map((t) => `"${t}"`).join(", ")}`
            : "it holds no tables"),
      );
    }
  }
  const kept = filteredRuns(reader, options, metadataTable);
  const runs = [...reader.stores.keys()].filter((id) => kept.has(id));
  await Deno.mkdir(out, { recursive: true });

  const result: ExportResult = {
    written: [],
    unchanged: 0,
    removed: [],
    skipped,
    runs,
    tables,
  };
  const metaRows = new Map<string, Record<string, unknown> | undefined>();
  const meta = (expId: string) => {
    if (!options.joinMetadata) return undefined;
    if (!metaRows.has(expId)) {
      metaRows.set(
        expId,
        metadataRow(reader.stores.get(expId)!, metadataTable, options),
      );
    }
    return metaRows.get(expId);
  };
  const steps = tables.length * runs.length;
  const progress = showProgress && steps > 1
    ? new ProgressBar(steps, "run tables exported")
    : null;
  let done = 0;
  const previous = options.partition ? readManifest(out) : undefined;
  const manifest: Manifest = { version: 2, tables: {} };

  for (const table of tables) {
    const plan = planTable(reader, table, options, metadataTable);
    if (!options.partition) {
      const path = tableFile(out, table, format);
      const sink = openSink(format, new AtomicFile(path), plan);
      try {
        for (const expId of runs) {
          progress?.update(done++);
          const own = reader.stores.get(expId)!.tables.get(table);
          if (own === undefined) continue;
          let batch: Batch;
          try {
            batch = runBatch(plan, own, expId, meta(expId));
          } catch (error) {
            warn(
              `skipping run ${expId} in table "${table}": ${
                errorMessage(error)
              }`,
            );
            continue;
          }
          sink.write(batch);
        }
      } catch (error) {
        sink.abort();
        throw error;
      }
      sink.commit();
      result.written.push(path);
      continue;
    }
    // partitioned: one file per run, rewritten only when the run changed
    const layout = JSON.stringify({ format, columns: plan.columns });
    const before = previous!.tables[table];
    const same = before?.layout === layout;
    const entry: ManifestTable = { layout, runs: {} };
    manifest.tables[table] = entry;
    for (const expId of runs) {
      progress?.update(done++);
      const store = reader.stores.get(expId)!;
      const own = store.tables.get(table);
      if (own === undefined) continue;
      const storePath = join(dir, expId, STORE_BASENAME);
      let signature: string;
      try {
        signature = runSignature(
          storePath,
          storePath + JOURNAL_SUFFIX,
          own.nrows,
        );
      } catch (error) {
        warn(
          `skipping run ${expId} in table "${table}": ${errorMessage(error)}`,
        );
        if (before?.runs[expId]) entry.runs[expId] = before.runs[expId];
        continue;
      }
      const path = partitionFile(partitionDir(out, table, expId), format);
      const had = same ? before.runs[expId] : undefined;
      if (had?.signature === signature && fileSize(path) === had.bytes) {
        entry.runs[expId] = had;
        result.unchanged++;
        continue;
      }
      let batch: Batch;
      try {
        batch = runBatch(plan, own, expId, meta(expId));
      } catch (error) {
        // an unreadable run keeps the partition it had, to be retried next time
        warn(
          `skipping run ${expId} in table "${table}": ${errorMessage(error)}`,
        );
        if (before?.runs[expId]) entry.runs[expId] = before.runs[expId];
        continue;
      }
      // not synced one by one (that would cost more than the export): the
      // manifest records each file's size, and a file cut short by a crash is
      // written again next time
      const sink = openSink(format, new AtomicFile(path, { sync: false }), {
        ...plan,
        metadata: { ...plan.metadata, "cox.exp_id": expId },
      });
      try {
        sink.write(batch);
      } catch (error) {
        sink.abort();
        throw error;
      }
      sink.commit();
      entry.runs[expId] = { signature, bytes: fileSize(path) };
      result.written.push(path);
    }
  }
  progress?.update(steps);

  if (options.partition) {
    // partitions of runs (or tables) that are gone, or no longer selected
    for (const [table, before] of Object.entries(previous!.tables)) {
      for (const expId of Object.keys(before.runs)) {
        if (manifest.tables[table]?.runs[expId] !== undefined) continue;
        if (skipped.includes(expId) && manifest.tables[table]) {
          // a run that could not be read this time keeps its partition
          manifest.tables[table].runs[expId] = before.runs[expId];
          continue;
        }
        const folder = partitionDir(out, table, expId);
        try {
          await Deno.remove(folder, { recursive: true });
          result.removed.push(folder);
        } catch (error) {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
        }
      }
    }
    writeManifest(out, manifest);
  }
  return result;
}

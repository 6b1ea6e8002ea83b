/**
 * `exportSweep`: every table of a sweep to Parquet (or Arrow, CSV, JSON
 * Lines), one file per table or one partition per run, streaming one run at
 * a time.
 *
 * @module
 */

import { join } from "../path.ts";
import { CollectionReader } from "../reader.ts";
import type { Store } from "../run/store.ts";
import { JOURNAL_SUFFIX, STORE_BASENAME } from "../run/run_files.ts";
import type { Table } from "../run/table.ts";
import { type ColumnKind, OBJECT, type Schema } from "../schema.ts";
import { warn } from "../warn.ts";
import { firstRow, frameKinds } from "../sweep/decoded_run.ts";
import type { Cell } from "../h5/frame_table.ts";
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
  emptyManifest,
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
   * start by `regex`, for every pair: `cox tensorboard --filter-param`. A
   * regex that does not compile throws an `OptionError`, before any run is
   * opened.
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
  perRun: true,
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
  schemas: Readonly<Record<string, Schema>>,
  table: string,
  options: ExportOptions,
  metadataTable: string,
): TablePlan {
  const schema = schemas[table] ?? {};
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
    const metaSchema = schemas[metadataTable] ?? {};
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
  const cells = table.columns({ start: 0, stop: 1 }) as Record<string, Cell[]>;
  const row: Record<string, unknown> = {};
  for (const [name, kind] of Object.entries(table.schema)) {
    const cell = cells[name][0];
    const keep = keptSerialized(options.keepSerialized, name);
    row[name] = cellEncoding(kind, keep) === "json"
      ? decodeCell(table, kind, cell)
      : cell;
  }
  return row;
}

/** An OBJECT or PICKLE cell's value (a missing cell stays missing). */
function decodeCell(table: Table, kind: ColumnKind, cell: Cell): unknown {
  if (cell === null || cell === undefined) return cell;
  return kind === OBJECT
    ? table.getObject(cell as string)
    : table.getPickle(cell as string);
}

/**
 * @internal The most cells (rows x columns) read from a run's table at
 * once: a table of any size streams through the export in slices of this
 * many (4 M cells, some tens of MB), while a run's table of ordinary size
 * is one slice. (Tests make it small.)
 */
export const exportLimits = { sliceCells: 1 << 22 };

/** Rows per slice of a table of `columns` columns (at least one). */
function sliceRows(columns: number): number {
  return Math.max(
    1,
    Math.floor(exportLimits.sliceCells / Math.max(1, columns)),
  );
}

/**
 * One run's rows of a table, as the plan's columns, in slices of
 * {@link sliceRows} rows, read by range (no table is read whole, and none
 * is counted first: a slice shorter than asked for is the last).
 */
function* runBatches(
  plan: TablePlan,
  table: Table,
  expId: string,
  meta: Record<string, unknown> | undefined,
): Generator<Batch> {
  const names = Object.keys(table.schema);
  const step = sliceRows(names.length);
  for (let start = 0;; start += step) {
    const cells = table.columns({ start, stop: start + step }) as Record<
      string,
      Cell[]
    >;
    // a table without columns still has rows
    const rows = names.length > 0 ? cells[names[0]].length : table.nrows;
    if (rows === 0 && start > 0) return;
    const columns = [];
    if (plan.withExpId) columns.push(repeatValue(EXP_ID_COLUMN, expId, rows));
    for (const c of plan.own) {
      const own = table.schema[c.name];
      let values: readonly unknown[] | undefined = cells[c.name];
      if (values !== undefined && c.encoding === "json") {
        values = values.map((cell) => decodeCell(table, own, cell as Cell));
      }
      columns.push(convertCells(c, values, rows));
    }
    for (const j of plan.joined) {
      columns.push(repeatValue(j.column, meta?.[j.source], rows));
    }
    yield { rows, columns };
    if (rows < step || names.length === 0) return;
  }
}

/**
 * A run's rows of a table as batches, the first slice read and converted
 * at once (so that a bad cell in a run of ordinary size skips the run
 * before any of its rows is written), the others as they are asked for.
 */
function runBatch(
  plan: TablePlan,
  table: Table,
  expId: string,
  meta: Record<string, unknown> | undefined,
): Iterable<Batch> {
  const rest = runBatches(plan, table, expId, meta);
  const first = rest.next();
  if (first.done) return [];
  if (first.value.rows < sliceRows(Object.keys(table.schema).length)) {
    // the whole run in one slice: the generator is ended at once (reading
    // on until it ended by itself cost 80 MB more peak RSS on
    // bench/export_bench.ts's Python sweep, for no reason we found)
    rest.return(undefined);
    return [first.value];
  }
  return {
    *[Symbol.iterator]() {
      if (first.done) return;
      yield first.value;
      yield* rest;
    },
  };
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
  // checked before anything is opened: a bad regex is the caller's mistake
  compileFilters(options.filterParams ?? []);
  const candidates = runFolders(dir).filter((id) =>
    !options.expFilter || options.expFilter(id)
  );
  const previous = options.partition ? readManifest(out) : emptyManifest();
  const signatures = new Map<string, string>();
  if (options.partition) {
    for (const id of candidates) {
      const storePath = join(dir, id, STORE_BASENAME);
      signatures.set(id, runSignature(storePath, storePath + JOURNAL_SUFFIX));
    }
  }
  // runs whose files have not changed since their partitions were written,
  // which are all in place: not opened at all (filters need every run's
  // metadata, so with filters every run is opened, and unchanged ones only
  // not read)
  const untouched = new Set(
    options.partition && (options.filterParams ?? []).length === 0
      ? candidates.filter((id) =>
        partitionsInPlace(
          id,
          signatures.get(id)!,
          previous,
          out,
          format,
          options,
        )
      )
      : [],
  );
  using reader = await CollectionReader.open(dir, {
    skipErrors: true,
    expFilter: (id) =>
      !untouched.has(id) && (!options.expFilter || options.expFilter(id)),
    progress: showProgress,
  });
  // a `<run>_snapshot` copy that the reader passed over is not a skipped run
  const all = new Set(candidates);
  const skipped = candidates.filter((id) =>
    !untouched.has(id) && !reader.stores.has(id) &&
    !(id.endsWith("_snapshot") && all.has(id.slice(0, -"_snapshot".length)))
  );
  const schemas = sweepSchemas(candidates, reader.stores, previous, untouched);
  const known = Object.keys(schemas);
  const tables = options.tables ? [...options.tables] : known;
  for (const table of tables) {
    if (schemas[table] === undefined) {
      throw new Error(
        `No run under ${dir} has a table "${table}"; ` +
          (known.length
            ? `the tables are ${known.map((t) => `"${t}"`).join(", ")}`
            : "it holds no tables"),
      );
    }
  }
  const kept = filteredRuns(reader, options, metadataTable);
  const runs = candidates.filter((id) => untouched.has(id) || kept.has(id));
  const plans = tables.map((table) =>
    planTable(schemas, table, options, metadataTable)
  );
  const layouts = new Map(
    plans.map((plan) => [
      plan.table,
      JSON.stringify({ format, columns: plan.columns }),
    ]),
  );
  // a table whose columns or settings changed is written again whole: its
  // unchanged runs are opened after all
  const stale = new Set(
    [...untouched].filter((id) =>
      tables.some((t) =>
        previous.runs[id].schemas[t] !== undefined &&
        previous.tables[t]?.layout !== layouts.get(t)
      )
    ),
  );
  for (const id of stale) untouched.delete(id);
  using more = stale.size === 0 ? null : await CollectionReader.open(dir, {
    skipErrors: true,
    expFilter: (id) => stale.has(id),
    progress: showProgress,
  });
  const stores = new Map(reader.stores);
  for (const [id, store] of more?.stores ?? []) stores.set(id, store);
  for (const id of stale) if (!stores.has(id)) skipped.push(id);
  skipped.sort();
  await Deno.mkdir(out, { recursive: true });

  const result: ExportResult = {
    written: [],
    unchanged: 0,
    removed: [],
    skipped,
    runs: runs.filter((id) => untouched.has(id) || stores.has(id)),
    tables,
  };
  const metaRows = new Map<string, Record<string, unknown> | undefined>();
  const meta = (expId: string) => {
    if (!options.joinMetadata) return undefined;
    if (!metaRows.has(expId)) {
      metaRows.set(
        expId,
        metadataRow(stores.get(expId)!, metadataTable, options),
      );
    }
    return metaRows.get(expId);
  };
  const steps = tables.length * result.runs.length;
  const progress = showProgress && steps > 1
    ? new ProgressBar(steps, "run tables exported")
    : null;
  let done = 0;
  const manifest = emptyManifest();
  const failed = new Set<string>();

  for (const plan of plans) {
    const table = plan.table;
    if (!options.partition) {
      const path = tableFile(out, table, format);
      const sink = openSink(format, new AtomicFile(path), plan);
      try {
        for (const expId of result.runs) {
          progress?.update(done++);
          const own = stores.get(expId)!.tables.get(table);
          if (own === undefined) continue;
          const skip = (error: unknown) =>
            warn(
              `skipping run ${expId} in table "${table}": ${
                errorMessage(error)
              }`,
            );
          let batches: Iterator<Batch>;
          try {
            batches = runBatch(plan, own, expId, meta(expId))[
              Symbol.iterator
            ]();
          } catch (error) {
            skip(error);
            continue;
          }
          for (let slice = 0;; slice++) {
            let next: IteratorResult<Batch>;
            try {
              next = batches.next();
            } catch (error) {
              // a big table's slice past the first: its first rows are in
              // the file already, so the file is not written at all
              if (slice === 0) {
                skip(error);
                break;
              }
              throw new Error(
                `Cannot export table "${table}" of run ${expId}: ${
                  errorMessage(error)
                }; ${path} is not written`,
                { cause: error },
              );
            }
            if (next.done) break;
            sink.write(next.value);
          }
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
    const layout = layouts.get(table)!;
    const before = previous.tables[table];
    const same = before?.layout === layout;
    const entry: ManifestTable = { layout, runs: {} };
    manifest.tables[table] = entry;
    for (const expId of result.runs) {
      progress?.update(done++);
      const path = partitionFile(partitionDir(out, table, expId), format);
      if (untouched.has(expId)) {
        if (previous.runs[expId].schemas[table] !== undefined) {
          entry.runs[expId] = before!.runs[expId];
          result.unchanged++;
        }
        continue;
      }
      const own = stores.get(expId)!.tables.get(table);
      if (own === undefined) continue;
      const had = same ? before.runs[expId] : undefined;
      if (
        had !== undefined &&
        previous.runs[expId]?.signature === signatures.get(expId) &&
        fileSize(path) === had.bytes
      ) {
        entry.runs[expId] = had;
        result.unchanged++;
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
        for (const batch of runBatch(plan, own, expId, meta(expId))) {
          sink.write(batch);
        }
      } catch (error) {
        sink.abort();
        // an unreadable run keeps the partition it had, to be retried next time
        warn(
          `skipping run ${expId} in table "${table}": ${errorMessage(error)}`,
        );
        failed.add(expId);
        if (before?.runs[expId]) entry.runs[expId] = before.runs[expId];
        continue;
      }
      sink.commit();
      entry.runs[expId] = { bytes: fileSize(path) };
      result.written.push(path);
    }
  }
  progress?.update(steps);

  if (options.partition) {
    for (const expId of result.runs) {
      if (untouched.has(expId)) {
        manifest.runs[expId] = previous.runs[expId];
      } else if (!failed.has(expId)) {
        // a run that failed is not recorded: the next export reads it again
        const schemasOf: Record<string, Schema> = {};
        for (const [name, t] of stores.get(expId)!.tables) {
          schemasOf[name] = { ...t.schema };
        }
        manifest.runs[expId] = {
          signature: signatures.get(expId)!,
          schemas: schemasOf,
        };
      }
    }
    // partitions of runs (or tables) that are gone, or no longer selected
    for (const [table, before] of Object.entries(previous.tables)) {
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

/**
 * Whether a run's partitions from the last export can stay as they are
 * without opening it: its signature is the one recorded, and the partition
 * of each of its tables (those selected) is there, of the size written.
 */
function partitionsInPlace(
  expId: string,
  signature: string,
  previous: Manifest,
  out: string,
  format: ExportFormat,
  options: ExportOptions,
): boolean {
  const run = previous.runs[expId];
  if (run === undefined || run.signature !== signature) return false;
  for (const table of Object.keys(run.schemas)) {
    if (options.tables && !options.tables.includes(table)) continue;
    const had = previous.tables[table]?.runs[expId];
    const path = partitionFile(partitionDir(out, table, expId), format);
    if (had === undefined || fileSize(path) !== had.bytes) return false;
  }
  return true;
}

/**
 * Table name to schema over the runs, as `CollectionReader.schemas` gives
 * it (columns in first-seen order over the runs in name order; an int column
 * that is float elsewhere is float): the opened runs' schemas, and for runs
 * not opened the ones the manifest recorded.
 */
function sweepSchemas(
  ids: readonly string[],
  stores: ReadonlyMap<string, Store>,
  previous: Manifest,
  untouched: ReadonlySet<string>,
): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  const merge = (name: string, schema: Readonly<Schema>) => {
    const had = out[name] ??= {};
    for (const [column, kind] of Object.entries(schema)) {
      const was = had[column];
      if (was === undefined) had[column] = kind;
      else if (was !== kind && isNumeric(was) && isNumeric(kind)) {
        had[column] = "float";
      }
    }
  };
  for (const id of ids) {
    const store = stores.get(id);
    if (store !== undefined) {
      for (const [name, table] of store.tables) merge(name, table.schema);
    } else if (untouched.has(id)) {
      for (const [name, schema] of Object.entries(previous.runs[id].schemas)) {
        merge(name, schema);
      }
    }
  }
  return out;
}

function isNumeric(kind: string): boolean {
  return kind === "int" || kind === "float";
}

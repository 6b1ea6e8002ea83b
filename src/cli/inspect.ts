/**
 * `cox ls`, `cox show` and `cox df`: a sweep's runs, one run's tables, and one
 * table across runs.
 *
 * @module
 */

import { basename, dirname, join, resolve } from "../path.ts";
import { CollectionReader } from "../reader.ts";
import { renderFrame } from "../render.ts";
import { Store } from "../run/store.ts";
import { STORE_BASENAME } from "../run/run_files.ts";
import type { Cell } from "../h5/frame_table.ts";
import { pyStr } from "../python_str.ts";
import { CliError, type Io } from "./io.ts";
import type { DfArgs, LsArgs, ShowArgs } from "./args.ts";
import { requireDirectory } from "./files.ts";
import { alignColumns, type TextColumn, toCsv, toRecords } from "./format.ts";
import {
  decodeCell,
  decodeRun,
  frameKinds,
  objectDtypes,
} from "../sweep/decoded_run.ts";
import { cellText } from "../sweep/run_filters.ts";
import {
  cellStr,
  concatDtype,
  type PandasDtype,
  seriesDtype,
} from "../sweep/pandas_cells.ts";
import { OBJECT, PICKLE } from "../schema.ts";

const NUMERIC = new Set(["int", "float"]);

/** The lines `cox ls` prints: exp id, metadata values, row count per table. */
export async function lsText(args: LsArgs): Promise<string> {
  await requireDirectory(args.dir);
  using reader = await CollectionReader.open(args.dir, { skipErrors: true });
  if (reader.stores.size === 0) return "";
  const kinds = frameKinds(reader, args.metadataTable);
  const ids = [...reader.stores.keys()];
  const columns: TextColumn[] = [{
    header: "exp_id",
    cells: ids,
    align: "left",
  }];
  const runs = [...reader.stores.values()].map((store) => {
    const table = store.tables.get(args.metadataTable);
    return table === undefined ? undefined : decodeRun(table);
  });
  const dtypes = objectDtypes(runs.filter((r) => r !== undefined));
  for (const [column, kind] of Object.entries(kinds)) {
    columns.push({
      header: column,
      cells: runs.map((run) =>
        run?.first === undefined
          ? "-"
          : cellText(run.first[column], kind, run.parts[column], dtypes[column])
      ),
      align: NUMERIC.has(kind) ? "right" : "left",
    });
  }
  for (const name of reader.tables) {
    columns.push({
      header: `#${name}`,
      cells: [...reader.stores.values()].map((store) => {
        const table = store.tables.get(name);
        return table === undefined ? "-" : String(table.nrows);
      }),
      align: "right",
    });
  }
  return alignColumns(columns);
}

/** `cox ls`. */
export async function lsCommand(args: LsArgs, io: Io): Promise<number> {
  const text = await lsText(args);
  if (text === "") {
    io.err(`cox: no runs (folders with ${STORE_BASENAME}) in ${args.dir}\n`);
  }
  io.out(text);
  return 0;
}

/** What `cox show` prints: the run's tables, as cox's `str(store)`. */
export async function showText(args: ShowArgs): Promise<string> {
  const path = resolve(args.runDir);
  await requireDirectory(path);
  try {
    Deno.statSync(join(path, STORE_BASENAME));
  } catch {
    throw new CliError(
      `Not a run: ${args.runDir} has no ${STORE_BASENAME}`,
    );
  }
  using store = await Store.open(dirname(path), basename(path), {
    mode: "r",
  });
  const text = store.toString();
  return text.endsWith("\n") ? text : `${text}\n`;
}

/** `cox show`. */
export async function showCommand(args: ShowArgs, io: Io): Promise<number> {
  io.out(await showText(args));
  return 0;
}

/** Table `args.table` across the runs of `args.dir`: column names, kinds and cells. */
export async function readFrame(args: Omit<DfArgs, "format">): Promise<{
  names: string[];
  kinds: Record<string, string>;
  columns: Record<string, unknown[]>;
  /** Of each OBJECT/PICKLE column: the dtype of each cell's run, and of the frame. */
  objects: Record<string, { parts: PandasDtype[]; dtype: PandasDtype }>;
}> {
  await requireDirectory(args.dir);
  using reader = await CollectionReader.open(args.dir, { skipErrors: true });
  if (!reader.tables.has(args.table)) {
    const tables = [...reader.tables];
    throw new CliError(
      `No run under ${args.dir} has a table "${args.table}"; ` +
        (tables.length
          ? `the tables are ${tables.map((t) => `"${t}"`).join(", ")}`
          : "it holds no tables"),
    );
  }
  const kinds: Record<string, string> = {
    ...frameKinds(reader, args.table),
    exp_id: "str",
  };
  const objectColumns = Object.keys(kinds).filter((c) =>
    kinds[c] === OBJECT || kinds[c] === PICKLE
  );
  const df = reader.df(args.table, {
    unionSchemas: args.unionSchemas,
    keepSerialized: objectColumns, // decoded below, Python's floats kept apart from its ints
  });
  const names = df.columnNames();
  const columns: Record<string, unknown[]> = {};
  for (const name of names) {
    columns[name] = Array.from(df.array(name) as ArrayLike<unknown>);
  }
  const objects: Record<string, { parts: PandasDtype[]; dtype: PandasDtype }> =
    {};
  const ids = (columns.exp_id ?? []) as string[];
  for (const column of objectColumns.filter((c) => c in columns)) {
    const cells = columns[column];
    const parts: PandasDtype[] = new Array(cells.length);
    const runs = new Map<string, PandasDtype>();
    let start = 0;
    // each run's cells are contiguous: decode them, then infer their dtype
    while (start < cells.length) {
      const expId = ids[start];
      let end = start;
      while (end < cells.length && ids[end] === expId) end++;
      const table = reader.stores.get(expId)?.tables.get(args.table);
      const own = table?.schema[column];
      for (let i = start; i < end; i++) {
        cells[i] = table === undefined || own === undefined
          ? undefined
          : decodeCell(table, own, cells[i]);
      }
      const dtype = seriesDtype(cells.slice(start, end));
      if (own !== undefined) runs.set(expId, dtype);
      parts.fill(dtype, start, end);
      start = end;
    }
    objects[column] = { parts, dtype: concatDtype([...runs.values()]) };
  }
  return { names, kinds, columns, objects };
}

/** The frame as pandas prints it (every row), with missing cells as NaN. */
export function frameTable(
  names: string[],
  kinds: Record<string, string>,
  columns: Record<string, unknown[]>,
  objects: Record<string, { parts: PandasDtype[]; dtype: PandasDtype }> = {},
): string {
  const schema: Record<string, string> = {};
  const cells: Record<string, Cell[]> = {};
  for (const name of names) {
    const kind = kinds[name] ?? "str";
    const values = columns[name];
    const missing = values.some((v) => v === null || v === undefined);
    const object = objects[name];
    if (object !== undefined) {
      schema[name] = "str";
      cells[name] = values.map((v, i) =>
        v === undefined ? "NaN" : cellStr(v, object.parts[i], object.dtype)
      );
    } else if (kind === "float" || (kind === "int" && missing)) {
      schema[name] = "float";
      cells[name] = values.map((v) =>
        v === null || v === undefined ? NaN : Number(v)
      );
    } else if (kind === "int" || (kind === "bool" && !missing)) {
      schema[name] = kind;
      cells[name] = values as Cell[];
    } else {
      schema[name] = "str";
      cells[name] = values.map((v) =>
        v === null || v === undefined ? "NaN" : pyStr(v, kind)
      );
    }
  }
  return renderFrame(schema, cells) + "\n";
}

/** `cox df`. */
export async function dfCommand(args: DfArgs, io: Io): Promise<number> {
  const { names, kinds, columns, objects } = await readFrame(args);
  switch (args.format) {
    case "table":
      io.out(frameTable(names, kinds, columns, objects));
      break;
    case "csv":
      io.out(toCsv(names, kinds, columns, objects));
      break;
    case "json":
      io.out(`${JSON.stringify(toRecords(names, columns), null, 2)}\n`);
      break;
    case "jsonl":
      io.out(
        toRecords(names, columns).map((r) => `${JSON.stringify(r)}\n`).join(""),
      );
      break;
  }
  return 0;
}

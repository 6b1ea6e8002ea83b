/**
 * `cox tensorboard`: cox's `tensorboard_view`. Every run with a
 * `tensorboard/` folder, named by its hyperparameters and filtered by them,
 * in one TensorBoard started with `--logdir_spec`.
 *
 * @module
 */

import { CollectionReader } from "../reader.ts";
import { OBJECT, PICKLE, type Schema } from "../schema.ts";
import { PyTuple } from "../pickle/values.ts";
import { pyStr } from "../python_str.ts";
import { compilePythonRegex, pythonMatch } from "./python_regex.ts";
import {
  cellStr,
  concatDtype,
  type PandasDtype,
  seriesDtype,
} from "./pandas_cells.ts";
import { warn } from "../warn.ts";
import type { Table } from "../run/table.ts";
import { CliError, type Io, UsageError } from "./io.ts";
import type { TensorboardArgs } from "./args.ts";
import { isDirectory, pyJoin, requireDirectory, shellQuote } from "./files.ts";

/** One run as TensorBoard will show it. */
export interface TensorboardRun {
  expId: string;
  /** `<format-str filled in>---<exp_id>`, made safe for `--logdir_spec`. */
  name: string;
  /** `<logdir>/<exp_id>`, joined as Python's `os.path.join` does. */
  path: string;
}

/** What `cox tensorboard` runs. */
export interface TensorboardPlan {
  runs: TensorboardRun[];
  /** The arguments after `tensorboard`. */
  args: string[];
}

type Segment = { text: string } | { field: string };

/**
 * Splits a Python format string into text and `{field}` parts. Only plain
 * field names are supported (no `!conversion`, `:spec`, `.attr` or `[key]`).
 */
export function parseFormatString(format: string): Segment[] {
  const out: Segment[] = [];
  let text = "";
  for (let i = 0; i < format.length; i++) {
    const ch = format[i];
    if (ch === "{" && format[i + 1] === "{") {
      text += "{";
      i++;
    } else if (ch === "}" && format[i + 1] === "}") {
      text += "}";
      i++;
    } else if (ch === "{") {
      const end = format.indexOf("}", i + 1);
      if (end < 0) {
        throw new UsageError(
          `--format-str ${
            JSON.stringify(format)
          }: a "{" is not closed (write "{{" for a brace)`,
          "tensorboard",
        );
      }
      const field = format.slice(i + 1, end);
      if (field === "" || /^\d+$/.test(field)) {
        throw new UsageError(
          `--format-str ${
            JSON.stringify(format)
          }: "{${field}}" names no parameter; write {name}`,
          "tensorboard",
        );
      }
      if (/[!:.[{]/.test(field)) {
        throw new UsageError(
          `--format-str ${
            JSON.stringify(format)
          }: "{${field}}" is not supported; ` +
            `only plain {name} placeholders are (no conversions, format specs, attributes or indexes)`,
          "tensorboard",
        );
      }
      if (text) out.push({ text });
      text = "";
      out.push({ field });
      i = end;
    } else if (ch === "}") {
      throw new UsageError(
        `--format-str ${
          JSON.stringify(format)
        }: a single "}" (write "}}" for a brace)`,
        "tensorboard",
      );
    } else {
      text += ch;
    }
  }
  if (text) out.push({ text });
  return out;
}

/** Replaces what `--logdir_spec` cannot hold in a run name: `:` and `,`, and a leading `/`. */
export function safeRunName(name: string): string {
  return name.replace(/[:,]/g, "_").replace(/^\//, "_");
}

function compileFilter(name: string, source: string): RegExp {
  try {
    // Python's re syntax, matched at the start only, as cox's re.match
    return compilePythonRegex(source);
  } catch (error) {
    throw new UsageError(
      `--filter-param ${name}: ${(error as Error).message}`,
      "tensorboard",
    );
  }
}

/** How the CLI decodes object cells: Python's floats kept apart from its ints. */
const EXACT = { exactNumbers: true } as const;

/** A cell of an OBJECT or PICKLE column decoded (other cells as they are). */
export function decodeCell(table: Table, kind: string, cell: unknown): unknown {
  return kind === OBJECT
    ? table.getObject(cell as string, EXACT)
    : kind === PICKLE
    ? table.getPickle(cell as string, EXACT)
    : cell;
}

/** A run's table, decoded, with the pandas dtype of each OBJECT/PICKLE column. */
export interface DecodedRun {
  /** The first row (undefined when the table is empty). */
  first: Record<string, unknown> | undefined;
  /** What `pd.Series` makes of each object column of the run. */
  parts: Record<string, PandasDtype>;
}

/** The first row of a run's table as decoded values, and its object columns' dtypes. */
export function decodeRun(table: Table): DecodedRun {
  const rows = table.rows() as Record<string, unknown>[];
  const parts: Record<string, PandasDtype> = {};
  let first: Record<string, unknown> | undefined;
  for (const [column, kind] of Object.entries(table.schema)) {
    if (kind !== OBJECT && kind !== PICKLE) continue;
    parts[column] = seriesDtype(
      rows.map((row) => decodeCell(table, kind, row[column])),
    );
  }
  if (rows.length > 0) {
    first = {};
    for (const [column, kind] of Object.entries(table.schema)) {
      first[column] = decodeCell(table, kind, rows[0][column]);
    }
  }
  return { first, parts };
}

/** A `--filter-param NAME REGEX`, compiled. */
export type ParamFilter = readonly [name: string, regex: RegExp];

/**
 * Compiles `--filter-param` pairs; a bad REGEX is a {@link UsageError}.
 * `cox tensorboard` and `cox export` (and `exportSweep`) share this and
 * {@link passesFilters}, so a filter means the same in both.
 */
export function compileFilters(
  filters: readonly (readonly [name: string, regex: string])[],
): ParamFilter[] {
  return filters.map(([name, source]) =>
    [name, compileFilter(name, source)] as const
  );
}

/**
 * Whether a run passes every filter: each REGEX matches the start of the
 * text of the run's value (`text(name)`, as {@link cellText} gives it).
 */
export function passesFilters(
  filters: readonly ParamFilter[],
  text: (name: string) => string,
): boolean {
  return filters.every(([name, re]) => pythonMatch(re, text(name)));
}

/** The first row of a run's table as decoded values (OBJECT and PICKLE cells unpickled). */
export function firstRow(
  table: Table,
): Record<string, unknown> | undefined {
  return decodeRun(table).first;
}

/** The concatenated frame's dtype of each object column, from every run's. */
export function objectDtypes(
  runs: Iterable<DecodedRun>,
): Record<string, PandasDtype> {
  const all: Record<string, PandasDtype[]> = {};
  for (const run of runs) {
    for (const [column, dtype] of Object.entries(run.parts)) {
      (all[column] ??= []).push(dtype);
    }
  }
  return Object.fromEntries(
    Object.entries(all).map(([c, parts]) => [c, concatDtype(parts)]),
  );
}

/**
 * A column's kind in the concatenated frame, as pandas would have it: an
 * int column missing from some run holds NaN there, so it is float.
 */
export function frameKinds(
  reader: CollectionReader,
  table: string,
): Schema {
  const schema: Schema = { ...(reader.schemas[table] ?? {}) };
  for (const store of reader.stores.values()) {
    const own = store.tables.get(table)?.schema;
    if (own === undefined) continue;
    for (const [column, kind] of Object.entries(schema)) {
      if (kind === "int" && !(column in own)) schema[column] = "float";
    }
  }
  return schema;
}

/**
 * A value as text, as Python's `str()` of the frame's cell (a missing cell
 * is NaN, `nan`). An OBJECT or PICKLE value is shown as pandas holds it:
 * give the dtype of its run's column (`part`) and of the whole frame's.
 */
export function cellText(
  value: unknown,
  kind: string | undefined,
  part?: PandasDtype,
  dtype?: PandasDtype,
): string {
  if (part !== undefined && (kind === OBJECT || kind === PICKLE)) {
    return cellStr(value, part, dtype ?? part);
  }
  if (value === undefined || value === null) return "nan";
  return pyStr(value, kind);
}

/** What `pd.Series` makes of each object column of one run ({@linkcode DecodedRun}'s `parts`). */
export type ObjectParts = Record<string, PandasDtype>;

/** Names and filters runs as `cox tensorboard` does (see {@linkcode runNamer}). */
export interface RunNamer {
  /** The parameters: the metadata table's columns, then `exp_id`. */
  columns: string[];
  /** Each metadata column's kind in the concatenated frame. */
  kinds: Schema;
  /** Whether the run with this metadata row (with `exp_id` set) passes every `--filter-param`. */
  keep(row: Record<string, unknown>, parts?: ObjectParts): boolean;
  /**
   * The run's name: the format string filled in, then `---<exp_id>`
   * (`wanted`), and that made safe for `--logdir_spec` (`name`).
   */
  name(row: Record<string, unknown>, expId: string, parts?: ObjectParts): {
    name: string;
    wanted: string;
  };
}

/**
 * The naming and filtering of `cox tensorboard`, for runs whose metadata
 * table `metadataTable` has columns of `kinds` (as {@linkcode frameKinds}
 * gives them): checks that every placeholder and filter names a column
 * (throwing a {@linkcode CliError} listing them), and returns how to name
 * and filter a run from its metadata row. OBJECT/PICKLE values are shown as
 * pandas holds them when the frame's `dtypes` and each run's `parts` are
 * given (see {@linkcode objectDtypes}).
 */
export function runNamer(
  kinds: Schema,
  metadataTable: string,
  formatStr: string,
  filters: readonly (readonly [name: string, regex: string])[],
  dtypes: Record<string, PandasDtype> = {},
): RunNamer {
  const segments = parseFormatString(formatStr);
  const compiled = compileFilters(filters);
  const columns = [...Object.keys(kinds), "exp_id"];
  const listColumns = () => columns.join(", ");
  for (const segment of segments) {
    if ("field" in segment && !columns.includes(segment.field)) {
      throw new CliError(
        `--format-str names {${segment.field}}, which is no column of table "${metadataTable}"; ` +
          `its columns are ${listColumns()}`,
      );
    }
  }
  for (const [name] of filters) {
    if (!columns.includes(name)) {
      throw new CliError(
        `--filter-param names ${name}, which is no column of table "${metadataTable}"; ` +
          `its columns are ${listColumns()}`,
      );
    }
  }
  const text = (
    row: Record<string, unknown>,
    column: string,
    parts?: ObjectParts,
  ) => cellText(row[column], kinds[column], parts?.[column], dtypes[column]);
  return {
    columns,
    kinds,
    keep: (row, parts) =>
      passesFilters(compiled, (name) => text(row, name, parts)),
    name: (row, expId, parts) => {
      const filled = segments.map((segment) => {
        if ("text" in segment) return segment.text;
        const value = row[segment.field];
        // cox joins a list's items with "." (a tuple stays as str() prints it)
        if (Array.isArray(value) && !(value instanceof PyTuple)) {
          return value.map((v) => pyStr(v)).join(".");
        }
        return text(row, segment.field, parts);
      }).join("");
      const wanted = `${filled}---${expId}`;
      return { name: safeRunName(wanted), wanted };
    },
  };
}

/**
 * Works out the runs and the tensorboard arguments, as cox's
 * `tensorboard_view`: only runs with a `tensorboard/` folder, kept when every
 * filter's regex matches the start of the value's text, named by the format
 * string and `---<exp_id>`. Runs are in exp id order.
 */
export async function planTensorboard(
  options: Omit<TensorboardArgs, "dryRun">,
): Promise<TensorboardPlan> {
  const { logdir, formatStr, filters, metadataTable, port } = options;
  parseFormatString(formatStr);
  compileFilters(filters);
  await requireDirectory(logdir);
  using reader = await CollectionReader.open(logdir, { skipErrors: true });
  if (reader.schemas[metadataTable] === undefined) {
    const tables = [...reader.tables];
    throw new CliError(
      `No run under ${logdir} has a table "${metadataTable}"` +
        (reader.stores.size === 0
          ? " (it holds no runs: folders with store.h5)"
          : `; the runs have ${
            tables.length ? tables.map((t) => `"${t}"`).join(", ") : "no tables"
          }`) +
        ". Name the table of hyperparameters with --metadata-table",
    );
  }
  const decoded = new Map<string, DecodedRun>();
  for (const [expId, store] of reader.stores) {
    const table = store.tables.get(metadataTable);
    if (table !== undefined) decoded.set(expId, decodeRun(table));
  }
  const namer = runNamer(
    frameKinds(reader, metadataTable),
    metadataTable,
    formatStr,
    filters,
    objectDtypes(decoded.values()),
  );

  const names: string[] = [];
  for await (const entry of Deno.readDir(logdir)) names.push(entry.name);
  names.sort();
  const runs: TensorboardRun[] = [];
  for (const expId of names) {
    const path = pyJoin(logdir, expId);
    if (!(await isDirectory(pyJoin(path, "tensorboard")))) continue;
    const run = decoded.get(expId);
    const row = run?.first;
    if (row === undefined) {
      warn(
        `skipping run ${expId}: it has a tensorboard/ folder but no row in table "${metadataTable}"`,
      );
      continue;
    }
    row.exp_id = expId;
    if (!namer.keep(row, run!.parts)) continue;
    const { name, wanted } = namer.name(row, expId, run!.parts);
    if (name !== wanted) {
      warn(
        `run ${expId}: naming it ${
          JSON.stringify(name)
        }, as --logdir_spec cannot hold ${JSON.stringify(wanted)}`,
      );
    }
    if (path.includes(",")) {
      warn(
        `skipping run ${expId}: its path ${path} has a ",", which --logdir_spec cannot hold`,
      );
      continue;
    }
    runs.push({ expId, name, path });
  }
  if (runs.length === 0) {
    throw new CliError(
      `No run under ${logdir} to show: none has a tensorboard/ folder and a metadata row` +
        (filters.length ? " that passes the filters" : ""),
    );
  }
  return {
    runs,
    args: [
      "--logdir_spec",
      runs.map((r) => `${r.name}:${r.path}`).join(","),
      "--port",
      String(port),
    ],
  };
}

const HOW_TO_GET_TENSORBOARD =
  `tensorboard is not on PATH. Install it with "pip install tensorboard" ` +
  `(or "python3 -m pip install tensorboard", or "pipx install tensorboard"), ` +
  `or activate the Python environment that has it; ` +
  `--dry-run prints the command without running it.`;

/** How long a Ctrl-C is left to the terminal before it is passed on to tensorboard. */
const INTERRUPT_GRACE_MS = 500;

/**
 * Runs `cox tensorboard`: prints the command, then (unless `dryRun`) runs
 * tensorboard with the terminal's streams, passes on SIGINT and SIGTERM and
 * returns its exit status. Without tensorboard on PATH, returns 2.
 */
export async function tensorboardCommand(
  options: TensorboardArgs,
  io: Io,
): Promise<number> {
  const plan = await planTensorboard(options);
  const line = ["tensorboard", ...plan.args].map(shellQuote).join(" ");
  if (options.dryRun) {
    io.out(`${line}\n`);
    return 0;
  }
  io.err(`Running ${line}\n`);
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("tensorboard", {
      args: plan.args,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      io.err(`cox: ${HOW_TO_GET_TENSORBOARD}\n`);
      return 2;
    }
    throw error;
  }
  let exited = false;
  const timers: ReturnType<typeof setTimeout>[] = [];
  const pass = (signal: Deno.Signal) => {
    try {
      if (!exited) child.kill(signal);
    } catch {
      // it has just exited
    }
  };
  // A Ctrl-C at a terminal reaches tensorboard too; pass it on only when
  // tensorboard is still running a moment later (a signal sent to us alone).
  const onInterrupt = () => {
    timers.push(setTimeout(() => pass("SIGINT"), INTERRUPT_GRACE_MS));
  };
  const onTerminate = () => pass("SIGTERM");
  Deno.addSignalListener("SIGINT", onInterrupt);
  Deno.addSignalListener("SIGTERM", onTerminate);
  try {
    const status = await child.status;
    exited = true;
    return status.code;
  } finally {
    for (const t of timers) clearTimeout(t);
    Deno.removeSignalListener("SIGINT", onInterrupt);
    Deno.removeSignalListener("SIGTERM", onTerminate);
  }
}

/**
 * The command line's grammar: each command's options (parsed by
 * `node:util`'s `parseArgs`) and usage text.
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./io.ts";

/** The commands, in the order the usage lists them. */
export const COMMANDS = [
  "tensorboard",
  "dashboard",
  "ls",
  "show",
  "df",
  "export",
] as const;
/** A command's name. */
export type Command = typeof COMMANDS[number];

/** Output formats of `export`. */
export const EXPORT_FORMATS = ["parquet", "arrow", "csv", "jsonl"] as const;
/** An output format of `export`. */
export type ExportFormatName = typeof EXPORT_FORMATS[number];

/** Output formats of `df`. */
export const DF_FORMATS = ["table", "csv", "json", "jsonl"] as const;
/** An output format of `df`. */
export type DfFormat = typeof DF_FORMATS[number];

const GENERAL = `Usage: cox <command> [options]

Look at a sweep of cox runs (folders with store.h5) from the terminal.

Commands:
  tensorboard  open the runs in TensorBoard, named and filtered by their metadata
  dashboard    serve the sweep as a live web page: runs table, charts, comparisons
  ls           one line per run: its metadata and each table's row count
  show         the tables of one run, as cox's str(store) prints them
  df           a table concatenated across runs, with exp_id
  export       the tables as Parquet (or Arrow, CSV, JSON Lines) for DuckDB,
               Polars, Spark

Run "cox <command> --help" for a command's options.
Without an installed "cox", run "deno run -A cli.ts <command> ...".
`;

const USAGE: Record<Command, string> = {
  tensorboard:
    `Usage: cox tensorboard --logdir DIR --format-str FMT [--filter-param NAME REGEX]...
                       [--metadata-table metadata] [--port 6006] [--dry-run]

Starts TensorBoard on every run under DIR that has a tensorboard/ folder, each
named FMT---<exp_id>, as cox's tensorboard_view (cox-tensorboard) does.

Options:
  --logdir DIR             the folder holding the runs (required)
  --format-str FMT         the name of a run: {param} is replaced by the run's
                           value in the metadata table, as Python's str() prints
                           it ({exp_id} too; a list is joined with "."); "{{"
                           and "}}" are braces (required)
  --filter-param NAME REGEX
                           keep a run only if REGEX matches the start of the
                           run's NAME value as text (Python's re.match, in
                           Python's regex syntax); may be repeated, and a run
                           must match every one
  --metadata-table NAME    the table of one row holding the hyperparameters
                           (default: metadata)
  --port N                 passed on to tensorboard (default: 6006)
  --dry-run                print the tensorboard command and exit
  -h, --help               show this help

A ":" or "," in a name (which --logdir_spec cannot hold) becomes "_". Runs are
taken in exp id order. For a REGEX that starts with "-", give that filter last
as "--filter-param NAME -- REGEX".
`,
  dashboard:
    `Usage: cox dashboard DIR [--host 127.0.0.1] [--port 6007] [--format-str FMT]
                     [--filter-param NAME REGEX]... [--metadata-table metadata] [--open]

Serves the runs under DIR as a web page (no Python needed): the runs table,
every scalar chart, parallel coordinates, scatter, metadata diff and one-run
views, updated live while runs are written. It only reads the sweep.

Options:
  --host HOST              the address to listen on (default: 127.0.0.1); any
                           other address requires the random token printed in
                           the URL
  --port N                 the port (default: 6007; 0 picks a free one)
  --format-str FMT         name runs as cox tensorboard does: FMT---<exp_id>
                           (default: the exp id)
  --filter-param NAME REGEX
                           show a run only if REGEX matches the start of its
                           NAME value, as cox tensorboard does; may be repeated
  --metadata-table NAME    the table of hyperparameters (default: metadata)
  --open                   open the page in the default browser
  -h, --help               show this help

Runs until Ctrl-C.
`,
  ls: `Usage: cox ls DIR [--metadata-table metadata]

One line per run under DIR: its exp id, the first row of its metadata table,
and the number of rows of each table ("#name"; "-" when the run lacks it).

Options:
  --metadata-table NAME    the table of hyperparameters (default: metadata)
  -h, --help               show this help
`,
  show: `Usage: cox show RUN_DIR

Prints the tables of the run in RUN_DIR (a folder with store.h5) as cox's
str(store) does: each under "-- Table: name --", at most 4 rows shown.

Options:
  -h, --help               show this help
`,
  df: `Usage: cox df DIR TABLE [--format table|csv|json|jsonl] [--union-schemas]

Prints table TABLE of every run under DIR, concatenated, with an exp_id column
(CollectionReader.df).

Options:
  --format F               table (aligned, as pandas prints; the default), csv,
                           json (an array of row objects) or jsonl (one object
                           a line)
  --union-schemas          allow runs with different columns (missing cells empty)
  -h, --help               show this help
`,
  export:
    `Usage: cox export DIR [TABLE...] --out PATH [--format parquet|arrow|csv|jsonl]
                  [--partition] [--filter-param NAME REGEX]... [--join-metadata]
                  [--keep-serialized] [--metadata-table metadata]

Writes each table (default: every table) of the runs under DIR to
PATH/<table>.parquet, every run's rows in exp id order with exp_id first.

Options:
  --out PATH               the folder to write to (required; made if missing)
  --format F               parquet (the default), arrow (an Arrow IPC stream,
                           .arrows), csv or jsonl
  --partition              a Hive-style dataset instead:
                           PATH/<table>/exp_id=<id>/part-0.parquet; exporting
                           again into PATH rewrites only the runs that changed
                           and removes the partitions of runs that are gone
  --filter-param NAME REGEX
                           keep a run only if REGEX matches the start of its
                           metadata value NAME as text, as cox tensorboard does;
                           may be repeated, and a run must match every one
  --join-metadata          add the metadata table's columns to every other
                           table's rows
  --keep-serialized        OBJECT and PICKLE cells as stored (base64 pickle or
                           uuid) instead of their decoded value as JSON text
  --metadata-table NAME    the table of hyperparameters (default: metadata)
  -h, --help               show this help

Types are kept: int as INT64, float as DOUBLE (NaN and infinities too), bool as
BOOLEAN, str as UTF8, PYTORCH_STATE as its uuid. A run that cannot be read is
skipped with a warning; a file appears only once complete.
`,
};

/** The usage text of a command, or the general one. */
export function usage(command?: Command): string {
  return command === undefined ? GENERAL : USAGE[command];
}

/** Whether `name` is a command. */
export function isCommand(name: string): name is Command {
  return (COMMANDS as readonly string[]).includes(name);
}

/** Options of `tensorboard`. */
export interface TensorboardArgs {
  logdir: string;
  formatStr: string;
  filters: [name: string, regex: string][];
  metadataTable: string;
  port: number;
  dryRun: boolean;
}

/** Options of `dashboard`. */
export interface DashboardArgs {
  dir: string;
  host: string;
  port: number;
  formatStr?: string;
  filters: [name: string, regex: string][];
  metadataTable: string;
  open: boolean;
}

/** Options of `ls`. */
export interface LsArgs {
  dir: string;
  metadataTable: string;
}

/** Options of `show`. */
export interface ShowArgs {
  runDir: string;
}

/** Options of `df`. */
export interface DfArgs {
  dir: string;
  table: string;
  format: DfFormat;
  unionSchemas: boolean;
}

/** Options of `export`. */
export interface ExportArgs {
  dir: string;
  tables: string[];
  out: string;
  format: ExportFormatName;
  partition: boolean;
  filters: [name: string, regex: string][];
  joinMetadata: boolean;
  keepSerialized: boolean;
  metadataTable: string;
}

/** What a command line asks for. */
export type Parsed =
  | { command: "help"; topic?: Command }
  | { command: "tensorboard"; args: TensorboardArgs }
  | { command: "dashboard"; args: DashboardArgs }
  | { command: "ls"; args: LsArgs }
  | { command: "show"; args: ShowArgs }
  | { command: "df"; args: DfArgs }
  | { command: "export"; args: ExportArgs };

const HELP = { help: { type: "boolean", short: "h" } } as const;

function parse<T extends NonNullable<ParseArgsConfig["options"]>>(
  command: Command,
  argv: string[],
  options: T,
) {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, ...HELP },
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message, command);
  }
}

function positionals(
  command: Command,
  given: string[],
  names: string[],
): string[] {
  if (given.length < names.length) {
    throw new UsageError(
      `missing ${names.slice(given.length).join(" and ")}`,
      command,
    );
  }
  if (given.length > names.length) {
    throw new UsageError(
      `unexpected argument ${JSON.stringify(given[names.length])}`,
      command,
    );
  }
  return given;
}

function nonEmpty(command: Command, flag: string, value: string): string {
  if (value === "") throw new UsageError(`${flag} is empty`, command);
  return value;
}

/**
 * Parses a command line (without the program name).
 * Throws a {@link UsageError} on an unknown command, flag or a missing argument.
 */
export function parseCommandLine(argv: string[]): Parsed {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError("no command given");
  if (first === "-h" || first === "--help") return { command: "help" };
  if (first === "help") {
    if (rest.length === 0) return { command: "help" };
    if (rest.length === 1 && isCommand(rest[0])) {
      return { command: "help", topic: rest[0] };
    }
    throw new UsageError(`no such command ${JSON.stringify(rest.join(" "))}`);
  }
  if (!isCommand(first)) {
    throw new UsageError(
      first.startsWith("-")
        ? `unknown option ${
          JSON.stringify(first)
        } (options come after the command)`
        : `unknown command ${JSON.stringify(first)}`,
    );
  }
  switch (first) {
    case "tensorboard":
      return parseTensorboard(rest);
    case "export":
      return parseExport(rest);
    case "dashboard":
      return parseDashboard(rest);
    case "ls": {
      const { values, positionals: given } = parse("ls", rest, {
        "metadata-table": { type: "string", default: "metadata" },
      });
      if (values.help) return { command: "help", topic: "ls" };
      const [dir] = positionals("ls", given, ["DIR"]);
      return {
        command: "ls",
        args: {
          dir,
          metadataTable: nonEmpty(
            "ls",
            "--metadata-table",
            values["metadata-table"] as string,
          ),
        },
      };
    }
    case "show": {
      const { values, positionals: given } = parse("show", rest, {});
      if (values.help) return { command: "help", topic: "show" };
      const [runDir] = positionals("show", given, ["RUN_DIR"]);
      return { command: "show", args: { runDir } };
    }
    case "df": {
      const { values, positionals: given } = parse("df", rest, {
        format: { type: "string", default: "table" },
        "union-schemas": { type: "boolean", default: false },
      });
      if (values.help) return { command: "help", topic: "df" };
      const [dir, table] = positionals("df", given, ["DIR", "TABLE"]);
      const format = values.format as string;
      if (!(DF_FORMATS as readonly string[]).includes(format)) {
        throw new UsageError(
          `--format ${JSON.stringify(format)}: expected one of ${
            DF_FORMATS.join(", ")
          }`,
          "df",
        );
      }
      return {
        command: "df",
        args: {
          dir,
          table,
          format: format as DfFormat,
          unionSchemas: values["union-schemas"] as boolean,
        },
      };
    }
  }
}

type Tokens = ReturnType<typeof parse>["tokens"];

/**
 * Splits `--filter-param NAME REGEX` pairs (the option's own value, then the
 * positional right after it) from the other positionals.
 */
function filterParams(
  command: Command,
  tokens: Tokens,
): { filters: [string, string][]; positionals: string[] } {
  const filters: [string, string][] = [];
  const rest: string[] = [];
  let open: string | null = null;
  const needsRegex = () =>
    new UsageError(
      `--filter-param ${open} needs a REGEX after the NAME`,
      command,
    );
  for (const token of tokens) {
    if (token.kind === "option" && token.name === "filter-param") {
      if (open !== null) throw needsRegex();
      open = token.value ?? "";
    } else if (token.kind === "positional") {
      if (open === null) rest.push(token.value);
      else {
        filters.push([open, token.value]);
        open = null;
      }
    } else if (token.kind === "option-terminator") {
      // after "--", a REGEX may start with "-"
    } else if (open !== null) {
      throw needsRegex();
    }
  }
  if (open !== null) throw needsRegex();
  for (const [name] of filters) nonEmpty(command, "--filter-param NAME", name);
  return { filters, positionals: rest };
}

function parseExport(argv: string[]): Parsed {
  const { values, tokens } = parse("export", argv, {
    out: { type: "string" },
    format: { type: "string", default: "parquet" },
    partition: { type: "boolean", default: false },
    "filter-param": { type: "string", multiple: true },
    "join-metadata": { type: "boolean", default: false },
    "keep-serialized": { type: "boolean", default: false },
    "metadata-table": { type: "string", default: "metadata" },
  });
  if (values.help) return { command: "help", topic: "export" };
  const { filters, positionals: given } = filterParams("export", tokens);
  if (given.length === 0) throw new UsageError("missing DIR", "export");
  const [dir, ...tables] = given;
  if (values.out === undefined) {
    throw new UsageError("--out is required", "export");
  }
  const format = values.format as string;
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(
      `--format ${JSON.stringify(format)}: expected one of ${
        EXPORT_FORMATS.join(", ")
      }`,
      "export",
    );
  }
  return {
    command: "export",
    args: {
      dir: nonEmpty("export", "DIR", dir),
      tables,
      out: nonEmpty("export", "--out", values.out as string),
      format: format as ExportFormatName,
      partition: values.partition as boolean,
      filters,
      joinMetadata: values["join-metadata"] as boolean,
      keepSerialized: values["keep-serialized"] as boolean,
      metadataTable: nonEmpty(
        "export",
        "--metadata-table",
        values["metadata-table"] as string,
      ),
    },
  };
}

function parseTensorboard(argv: string[]): Parsed {
  const { values, tokens } = parse("tensorboard", argv, {
    logdir: { type: "string" },
    "format-str": { type: "string" },
    "filter-param": { type: "string", multiple: true },
    "metadata-table": { type: "string", default: "metadata" },
    port: { type: "string", default: "6006" },
    "dry-run": { type: "boolean", default: false },
  });
  if (values.help) return { command: "help", topic: "tensorboard" };
  const { filters, positionals: given } = filterParams("tensorboard", tokens);
  if (given.length > 0) {
    throw new UsageError(
      `unexpected argument ${JSON.stringify(given[0])}`,
      "tensorboard",
    );
  }
  if (values.logdir === undefined) {
    throw new UsageError("--logdir is required", "tensorboard");
  }
  if (values["format-str"] === undefined) {
    throw new UsageError("--format-str is required", "tensorboard");
  }
  const portText = values.port as string;
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw new UsageError(
      `--port ${
        JSON.stringify(portText)
      }: expected a port number from 1 to 65535`,
      "tensorboard",
    );
  }
  return {
    command: "tensorboard",
    args: {
      logdir: nonEmpty("tensorboard", "--logdir", values.logdir as string),
      formatStr: values["format-str"] as string,
      filters,
      metadataTable: nonEmpty(
        "tensorboard",
        "--metadata-table",
        values["metadata-table"] as string,
      ),
      port,
      dryRun: values["dry-run"] as boolean,
    },
  };
}

function parsePort(
  command: Command,
  portText: string,
  allowZero: boolean,
): number {
  const port = Number(portText);
  const low = allowZero ? 0 : 1;
  if (!/^\d+$/.test(portText) || port < low || port > 65535) {
    throw new UsageError(
      `--port ${
        JSON.stringify(portText)
      }: expected a port number from ${low} to 65535`,
      command,
    );
  }
  return port;
}

function parseDashboard(argv: string[]): Parsed {
  const { values, tokens } = parse("dashboard", argv, {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "6007" },
    "format-str": { type: "string" },
    "filter-param": { type: "string", multiple: true },
    "metadata-table": { type: "string", default: "metadata" },
    open: { type: "boolean", default: false },
  });
  if (values.help) return { command: "help", topic: "dashboard" };
  const { filters, positionals: own } = filterParams("dashboard", tokens);
  const [dir] = positionals("dashboard", own, ["DIR"]);
  return {
    command: "dashboard",
    args: {
      dir: nonEmpty("dashboard", "DIR", dir),
      host: nonEmpty("dashboard", "--host", values.host as string),
      port: parsePort("dashboard", values.port as string, true),
      formatStr: values["format-str"] as string | undefined,
      filters,
      metadataTable: nonEmpty(
        "dashboard",
        "--metadata-table",
        values["metadata-table"] as string,
      ),
      open: values.open as boolean,
    },
  };
}

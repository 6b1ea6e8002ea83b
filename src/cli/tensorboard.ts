/**
 * `cox tensorboard`: cox's `tensorboard_view`. Every run with a
 * `tensorboard/` folder, named by its hyperparameters and filtered by them,
 * in one TensorBoard started with `--logdir_spec`.
 *
 * @module
 */

import { CollectionReader } from "../reader.ts";
import { warn } from "../warn.ts";
import { CliError, type Io } from "./io.ts";
import {
  type DecodedRun,
  decodeRun,
  frameKinds,
  objectDtypes,
} from "../sweep/decoded_run.ts";
import { compileFilters } from "../sweep/run_filters.ts";
import { parseFormatString, runNamer } from "../sweep/run_namer.ts";
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

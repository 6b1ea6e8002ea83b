/**
 * The command line: parses the arguments, runs the command, and turns its
 * errors into messages and exit statuses (0 done, 1 failed, 2 usage or no
 * tensorboard).
 *
 * @module
 */

import { parseCommandLine, usage } from "./args.ts";
import { CliError, type Io, OptionError, processIo, UsageError } from "./io.ts";

// each command's module is loaded when it runs: `cox ls` does not pay for
// the dashboard's server, the export writers or the tensorboard exporter

export { type Io, processIo } from "./io.ts";

/** Runs one command line (without the program name) and returns its exit status. */
export async function main(
  argv: string[],
  io: Io = processIo,
): Promise<number> {
  let command: string | undefined;
  try {
    const parsed = parseCommandLine(argv);
    command = parsed.command;
    switch (parsed.command) {
      case "help":
        io.out(usage(parsed.topic));
        return 0;
      case "tensorboard":
        return await (await import("./tensorboard.ts")).tensorboardCommand(
          parsed.args,
          io,
        );
      case "dashboard":
        return await (await import("./dashboard.ts")).dashboardCommand(
          parsed.args,
          io,
        );
      case "ls":
        return await (await import("./inspect.ts")).lsCommand(parsed.args, io);
      case "show":
        return await (await import("./inspect.ts")).showCommand(
          parsed.args,
          io,
        );
      case "df":
        return await (await import("./inspect.ts")).dfCommand(parsed.args, io);
      case "export":
        return await (await import("./export.ts")).exportCommand(
          parsed.args,
          io,
        );
    }
  } catch (error) {
    // a bad option value found by code the commands share is a usage
    // error of the command that ran
    if (error instanceof OptionError) {
      io.err(`cox: ${error.message}\n\n${usage(command as never)}`);
      return 2;
    }
    if (error instanceof UsageError) {
      io.err(`cox: ${error.message}\n\n${usage(error.command as never)}`);
      return 2;
    }
    if (error instanceof CliError) {
      io.err(`cox: ${error.message}\n`);
      return error.status;
    }
    io.err(`cox: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

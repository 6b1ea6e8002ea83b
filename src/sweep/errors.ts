/**
 * The errors of option checks shared by the CLI and the library.
 *
 * @module
 */

/**
 * A mistake in the options (a command line's or a library call's, such as a
 * bad `--filter-param` regex): the CLI prints it with the command's usage and
 * exits with status 2.
 */
export class UsageError extends Error {
  /** The command whose usage to print (undefined: the general usage). */
  readonly command?: string;

  constructor(message: string, command?: string) {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}

/** A failure with a chosen exit status (for the CLI) and no usage text. */
export class CliError extends Error {
  /** The exit status. */
  readonly status: number;

  constructor(message: string, status = 1) {
    super(message);
    this.name = "CliError";
    this.status = status;
  }
}

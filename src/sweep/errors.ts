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

/**
 * A bad option value given to a library function (such as a
 * `--filter-param` regex that does not compile), named by the option: the
 * shared code that finds it does not know which command, if any, it serves.
 * The CLI prints it as a usage error of the command it runs (its usage, exit
 * status 2); a library caller gets it as it is.
 */
export class OptionError extends Error {
  /** The option at fault, as the command line spells it (`--filter-param`). */
  readonly option: string;

  /** An error of `option`, explained by `message`. */
  constructor(message: string, option: string) {
    super(message);
    this.name = "OptionError";
    this.option = option;
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

/**
 * `--filter-param NAME REGEX`: which runs a filter keeps, and the text of a
 * value it matches against. `cox tensorboard`, `cox export`, `exportSweep`
 * and the dashboard share these, so a filter means the same in all.
 *
 * @module
 */

import { OBJECT, PICKLE } from "../schema.ts";
import { pyStr } from "../python_str.ts";
import { compilePythonRegex, pythonMatch } from "./python_regex.ts";
import { cellStr, type PandasDtype } from "./pandas_cells.ts";
import { OptionError } from "./errors.ts";

function compileFilter(name: string, source: string): RegExp {
  try {
    // Python's re syntax, matched at the start only, as cox's re.match
    return compilePythonRegex(source);
  } catch (error) {
    throw new OptionError(
      `--filter-param ${name}: ${(error as Error).message}`,
      "--filter-param",
    );
  }
}

/** A `--filter-param NAME REGEX`, compiled. */
export type ParamFilter = readonly [name: string, regex: RegExp];

/**
 * Compiles `--filter-param` pairs; a bad REGEX is an `OptionError` (the CLI
 * reports it as a usage error of the command run).
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

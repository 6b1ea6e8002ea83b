/**
 * Names runs from their hyperparameters, as `cox tensorboard` does: a Python
 * format string filled in from the metadata row, then `---<exp_id>`. Shared
 * by the CLI and the dashboard.
 *
 * @module
 */

import type { Schema } from "../schema.ts";
import { PyTuple } from "../pickle/values.ts";
import { pyStr } from "../python_str.ts";
import type { PandasDtype } from "./pandas_cells.ts";
import { CliError, UsageError } from "./errors.ts";
import { cellText, compileFilters, passesFilters } from "./run_filters.ts";

/** A piece of a format string: literal text or a `{field}`. */
export type Segment = { text: string } | { field: string };

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

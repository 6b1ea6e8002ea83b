/**
 * One cell as CSV text, as pandas' `to_csv` writes it: `cox df --format csv`
 * and `cox export --format csv` alike.
 *
 * @module
 */

import { floatRepr } from "../pickle/write.ts";
import { pyStr } from "../python_str.ts";

/** A cell as CSV text, as pandas' `to_csv` writes it (missing and NaN empty). */
export function csvCell(value: unknown, kind: string | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" && Number.isNaN(value)) return "";
  const text = kind === "float" && typeof value === "number"
    ? floatRepr(value)
    : pyStr(value, kind);
  return csvQuote(text);
}

/** Text as a CSV field: quoted only when it has to be. */
export function csvQuote(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

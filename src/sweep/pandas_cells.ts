/**
 * How pandas shows decoded OBJECT and PICKLE cells, as cox's reader makes
 * them: each run's column becomes `pd.Series(list_of_values)` (which infers
 * a dtype: floats and ints with a None become float64, datetimes
 * datetime64, timedeltas timedelta64), the runs are concatenated (int and
 * float make float, anything mixed makes object), and then
 * `tensorboard_view` takes `str()` of a cell and `to_csv` writes the column.
 *
 * Values are those `unpickle` gives with `exactNumbers` (integral floats are
 * `PyFloat`s, numpy float scalars 0-d Tensors), so that `2.0` stays `2.0`.
 *
 * @module
 */

import { floatRepr } from "../pickle/write.ts";
import { isTensor, PyFloat, PyObject } from "../pickle/values.ts";
import { float32Repr, pyStr, timedeltaParts } from "../python_str.ts";

/** The dtypes pandas infers for a column of Python values (`tz` for datetimes with an offset). */
export type PandasDtype =
  | "bool"
  | "int64"
  | "float64"
  | "float32"
  | "datetime64"
  | `datetime64[${string}]`
  | "timedelta64"
  | "object";

type ValueKind =
  | "none"
  | "bool"
  | "int"
  | "float"
  | "float32"
  | "datetime"
  | `datetime[${string}]`
  | "timedelta"
  | "other";

interface Moment {
  date: string;
  hour: number;
  minute: number;
  second: number;
  micro: number;
  /** `+HH:MM`, or "" for a naive datetime. */
  offset: string;
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** The parts of a `datetime.datetime` (naive, or with a fixed `datetime.timezone`), or null. */
function moment(v: unknown): Moment | null {
  if (
    !(v instanceof PyObject) || v.module !== "datetime" ||
    v.name !== "datetime"
  ) return null;
  const [b, tz] = v.args;
  if (!(b instanceof Uint8Array) || b.length !== 10) return null;
  let offset = "";
  if (tz !== undefined && tz !== null) {
    // the offset as str(datetime) prints it, e.g. "2024-01-02 03:04:05+00:00"
    const text = pyStr(v);
    const m = /([+-]\d\d:\d\d(?::\d\d(?:\.\d+)?)?)$/.exec(text);
    if (!m) return null;
    offset = m[1];
  }
  return {
    date: `${pad(b[0] * 256 + b[1], 4)}-${pad(b[2] & 0x7f)}-${pad(b[3])}`,
    hour: b[4] & 0x7f,
    minute: b[5],
    second: b[6],
    micro: (b[7] << 16) | (b[8] << 8) | b[9],
    offset,
  };
}

function kindOf(v: unknown): ValueKind {
  if (v === null || v === undefined) return "none";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "bigint") return "int";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  if (v instanceof PyFloat) return "float";
  if (isTensor(v) && v.shape.length === 0) {
    if (v.dtype === "float64") return "float";
    if (v.dtype === "float32") return "float32";
    return "other";
  }
  const m = moment(v);
  if (m) return m.offset ? `datetime[${m.offset}]` : "datetime";
  if (timedeltaParts(v)) return "timedelta";
  return "other";
}

/** The dtype `pd.Series(values)` infers. */
export function seriesDtype(values: readonly unknown[]): PandasDtype {
  const kinds = new Set(values.map(kindOf));
  const none = kinds.delete("none");
  if (kinds.size === 0) return "object";
  const only = (...allowed: ValueKind[]) =>
    [...kinds].every((k) => allowed.includes(k));
  if (only("bool")) return none ? "object" : "bool";
  if (only("int")) return none ? "float64" : "int64";
  if (only("float32")) return "float32";
  if (only("int", "float", "float32")) return "float64";
  if (kinds.size === 1) {
    const [k] = kinds;
    if (k === "timedelta") return "timedelta64";
    if (k.startsWith("datetime")) {
      return k.replace("datetime", "datetime64") as PandasDtype;
    }
  }
  return "object";
}

/** The dtype of `pd.concat` of columns of these dtypes. */
export function concatDtype(dtypes: readonly PandasDtype[]): PandasDtype {
  const set = new Set(dtypes);
  if (set.size === 0) return "object";
  if (set.size === 1) return dtypes[0];
  if (
    [...set].every((d) => d === "int64" || d === "float64" || d === "float32")
  ) {
    return "float64";
  }
  return "object";
}

function num(v: unknown): number {
  if (v instanceof PyFloat) return v.value;
  if (isTensor(v)) return Number(v.data[0]);
  return Number(v);
}

/** `str(pd.Timestamp)`: `2024-01-02 00:00:00`, `2024-01-02 03:04:05.000006+00:00`. */
function timestampText(
  m: Moment,
  precision: "s" | "ms" | "us" | "auto",
): string {
  const p = precision === "auto" ? (m.micro ? "us" : "s") : precision;
  const frac = p === "us"
    ? `.${pad(m.micro, 6)}`
    : p === "ms"
    ? `.${pad(Math.floor(m.micro / 1000), 3)}`
    : "";
  return `${m.date} ${pad(m.hour)}:${pad(m.minute)}:${
    pad(m.second)
  }${frac}${m.offset}`;
}

/** `str(pd.Timedelta)`: `1 days 00:00:05`, `-1 days +23:59:59`, `0 days 00:00:00.000006`. */
function timedeltaText(v: unknown): string {
  const [d, s, us] = timedeltaParts(v)!;
  // Python keeps 0 <= seconds < 86400 and 0 <= microseconds < 1e6, days signed
  const sign = d < 0 ? "+" : "";
  return `${d} days ${sign}${pad(Math.floor(s / 3600))}:${
    pad(Math.floor(s / 60) % 60)
  }:${pad(s % 60)}${us ? `.${pad(us, 6)}` : ""}`;
}

/** A value of a column of dtype `part`, as Python's `str()` shows the object pandas holds for it. */
function scalarText(v: unknown, part: PandasDtype, missing: string): string {
  if (v === null || v === undefined) {
    if (part === "object") return missing === "" ? "" : "None";
    if (part.startsWith("datetime") || part === "timedelta64") {
      return missing === "" ? "" : "NaT";
    }
    return missing;
  }
  switch (part) {
    case "float64":
    case "float32": // widened to a Python float when made an object
      return floatRepr(num(v));
    case "int64":
    case "bool":
      return pyStr(v);
  }
  const m = moment(v);
  if (m) return timestampText(m, "auto");
  if (timedeltaParts(v)) return timedeltaText(v);
  return pyStr(v);
}

/**
 * `str()` of the frame's cell, as `tensorboard_view` takes it: the value of
 * a column of dtype `part` in this run and `dtype` once concatenated.
 */
export function cellStr(
  value: unknown,
  part: PandasDtype,
  dtype: PandasDtype,
): string {
  if (value === null || value === undefined) {
    if (dtype === "object" && part === "object") return "None";
    if (dtype.startsWith("datetime") || dtype === "timedelta64") return "NaT";
    if (dtype === "object") return scalarText(value, part, "nan");
    return "nan";
  }
  switch (dtype) {
    case "float64":
      return floatRepr(num(value));
    case "float32":
      return float32Repr(num(value));
    case "object":
      return scalarText(value, part, "nan");
  }
  return scalarText(value, dtype, "nan");
}

/**
 * The cells `to_csv` writes for a column: `values[i]` came from a run
 * whose column had dtype `parts[i]`; `dtype` is the concatenated column's.
 * Missing values are empty; datetimes share one precision, as pandas
 * writes them.
 */
export function csvColumn(
  values: readonly unknown[],
  parts: readonly PandasDtype[],
  dtype: PandasDtype,
): string[] {
  const missing = (v: unknown) =>
    v === null || v === undefined ||
    (typeof v === "number" && Number.isNaN(v));
  if (dtype.startsWith("datetime")) {
    const moments = values.map(moment);
    const present = moments.filter((m): m is Moment => m !== null);
    const datesOnly = present.every((m) =>
      !m.offset && !m.hour && !m.minute && !m.second && !m.micro
    );
    const precision = present.some((m) => m.micro % 1000)
      ? "us"
      : present.some((m) => m.micro)
      ? "ms"
      : "s";
    return moments.map((m) =>
      m === null ? "" : datesOnly ? m.date : timestampText(m, precision)
    );
  }
  if (dtype === "timedelta64") {
    const evenDays = values.every((v) => {
      const p = timedeltaParts(v);
      return p === null || (p[1] === 0 && p[2] === 0);
    });
    return values.map((v) => {
      const p = timedeltaParts(v);
      if (p === null) return "";
      return evenDays ? `${p[0]} days` : timedeltaText(v);
    });
  }
  return values.map((v, i) => {
    if (missing(v)) return "";
    if (dtype === "float64") return floatRepr(num(v));
    if (dtype === "float32") return float32Repr(num(v));
    if (dtype === "object") return scalarText(v, parts[i], "");
    return scalarText(v, dtype, "");
  });
}

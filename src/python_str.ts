/**
 * Python's `str()` and `repr()` of the values a store holds, so that text
 * made from them (run names, regex filters, `cox df`) is what Python's cox
 * makes.
 *
 * A JS number cannot say whether it was a Python `int` or `float`; pass the
 * column's kind (`"float"` or `"int"`) to choose between `3.0` and `3`, or
 * decode with `exactNumbers` (integral floats become `PyFloat`s). Without
 * either, an integral number is an `int`.
 *
 * Shared and cyclic references are handled as Python does: a container
 * inside itself prints `[...]` (`{...}` for a dict). A value whose text
 * would pass {@link MAX_TEXT} characters (a deep DAG of shared lists, whose
 * text doubles with each level) is cut there with `...`, so that the time
 * spent is bounded whatever the value.
 *
 * @module
 */

import { floatRepr } from "./pickle/write.ts";
import {
  dictClassOf,
  isTensor,
  NumpyDType,
  PyByteArray,
  PyComplex,
  PyFloat,
  PyFrozenSet,
  PyGlobal,
  PyObject,
  PyTuple,
} from "./pickle/values.ts";
import { halfToNumber } from "./pickle/read.ts";
import type { Tensor } from "./tensor.ts";

/** The longest text `pyStr`/`pyRepr` make; longer text ends with `...`. */
export const MAX_TEXT = 100_000;

/**
 * Python's `str(value)`. `kind` is the column kind the value came from
 * (`"float"` renders an integral number as `3.0`); `null` is `None`.
 *
 * @example
 * ```ts
 * import { pyStr } from "./python_str.ts";
 * if (pyStr(3, "float") !== "3.0" || pyStr(3, "int") !== "3") throw new Error("example failed");
 * if (pyStr(1e-5) !== "1e-05" || pyStr(true) !== "True") throw new Error("example failed");
 * if (pyStr([1, "a"]) !== "[1, 'a']") throw new Error("example failed");
 * const a: unknown[] = [1];
 * a.push(a);
 * if (pyStr(a) !== "[1, [...]]") throw new Error("example failed");
 * ```
 */
export function pyStr(value: unknown, kind?: string): string {
  if (typeof value === "string") return value;
  const out = new Text();
  write(out, value, kind, true);
  return out.result();
}

/** Python's `repr(value)` (strings quoted as Python quotes them). */
export function pyRepr(value: unknown, kind?: string): string {
  const out = new Text();
  write(out, value, kind, false);
  return out.result();
}

/** Text being built, with the containers being printed (for cycles) and a length limit. */
class Text {
  parts: string[] = [];
  length = 0;
  full = false;
  readonly active = new Set<object>();

  add(s: string): void {
    if (this.full) return;
    if (this.length + s.length > MAX_TEXT) {
      this.parts.push(s.slice(0, MAX_TEXT - this.length), "...");
      this.full = true;
      return;
    }
    this.parts.push(s);
    this.length += s.length;
  }

  result(): string {
    return this.parts.join("");
  }
}

/** Writes `items` between `open` and `close`, comma-separated, unless `v` is already being written. */
function container(
  out: Text,
  v: object,
  open: string,
  close: string,
  recursive: string,
  items: Iterable<unknown>,
  each: (item: unknown) => void,
): void {
  if (out.active.has(v)) {
    out.add(recursive);
    return;
  }
  out.active.add(v);
  out.add(open);
  let first = true;
  for (const item of items) {
    if (out.full) break;
    if (!first) out.add(", ");
    first = false;
    each(item);
  }
  out.add(close);
  out.active.delete(v);
}

function write(
  out: Text,
  value: unknown,
  kind: string | undefined,
  str: boolean,
): void {
  if (out.full) return;
  if (value === null || value === undefined) return out.add("None");
  switch (typeof value) {
    case "boolean":
      return out.add(value ? "True" : "False");
    case "bigint":
      return out.add(value.toString());
    case "number":
      if (kind === "float" || !Number.isInteger(value)) {
        return out.add(floatRepr(value));
      }
      return out.add(Object.is(value, -0) ? "0" : String(value));
    case "string":
      return out.add(str ? value : reprString(value));
  }
  const r = (v: unknown) => write(out, v, undefined, false);
  const v = value as object;
  if (v instanceof PyFloat) return out.add(floatRepr(v.value));
  if (v instanceof PyComplex) return out.add(complexRepr(v.re, v.im));
  if (v instanceof PyTuple) {
    if (v.length === 1) {
      return container(out, v, "(", ",)", "(...)", v, r);
    }
    return container(out, v, "(", ")", "(...)", v, r);
  }
  if (Array.isArray(v)) return container(out, v, "[", "]", "[...]", v, r);
  if (v instanceof PyByteArray) {
    return out.add(`bytearray(${reprBytes(v)})`);
  }
  if (v instanceof Uint8Array) return out.add(reprBytes(v));
  if (v instanceof Set) {
    const frozen = v instanceof PyFrozenSet;
    if (v.size === 0) return out.add(frozen ? "frozenset()" : "set()");
    return frozen
      ? container(out, v, "frozenset({", "})", "frozenset(...)", v, r)
      : container(out, v, "{", "}", "set(...)", v, r);
  }
  if (isTensor(v)) return out.add(tensorText(v));
  if (v instanceof Map || isPlainDict(v)) return writeDict(out, v);
  if (v instanceof PyGlobal) {
    return out.add(
      `<class '${v.module === "builtins" ? "" : `${v.module}.`}${v.name}'>`,
    );
  }
  if (v instanceof NumpyDType) {
    return out.add(
      `dtype(${reprString(v.byteorder.replace(/[|=]/, "") + v.descr)})`,
    );
  }
  if (v instanceof PyObject) return out.add(objectText(v, str));
  return out.add(String(v));
}

function isPlainDict(v: object): v is Record<string, unknown> {
  const proto = Object.getPrototypeOf(v);
  return proto === null || proto === Object.prototype;
}

/** The entries of a decoded dict (a `Map` or a plain object). */
function entriesOf(v: object): [unknown, unknown][] {
  return v instanceof Map
    ? [...v]
    : Object.entries(v as Record<string, unknown>);
}

function writeDict(out: Text, v: object): void {
  const r = (x: unknown) => write(out, x, undefined, false);
  const pair = (item: unknown) => {
    const [k, x] = item as [unknown, unknown];
    r(k);
    out.add(": ");
    r(x);
  };
  const cls = dictClassOf(v);
  let entries = entriesOf(v);
  if (cls === undefined) {
    return container(out, v, "{", "}", "{...}", entries, pair);
  }
  if (out.active.has(v)) return out.add("...");
  switch (cls.name) {
    case "OrderedDict":
      // Python 3.11 and earlier: OrderedDict([(k, v), ...])
      if (entries.length === 0) return out.add("OrderedDict()");
      return container(
        out,
        v,
        "OrderedDict([",
        "])",
        "...",
        entries,
        (item) => {
          const [k, x] = item as [unknown, unknown];
          out.add("(");
          r(k);
          out.add(", ");
          r(x);
          out.add(")");
        },
      );
    case "Counter":
      if (entries.length === 0) return out.add("Counter()");
      // as most_common(): by count, largest first, ties in insertion order
      if (entries.every(([, x]) => !Number.isNaN(count(x)))) {
        entries = entries.map((e, i) => [e, i] as const).sort((a, b) => {
          const d = count(b[0][1]) - count(a[0][1]);
          return d !== 0 ? d : a[1] - b[1];
        }).map(([e]) => e);
      }
      return container(out, v, "Counter({", "})", "...", entries, pair);
    case "defaultdict":
      out.active.add(v);
      out.add("defaultdict(");
      r(cls.defaultFactory ?? null);
      out.add(", ");
      out.active.delete(v);
      container(out, v, "{", "}", "{...}", entries, pair);
      return out.add(")");
  }
  return container(out, v, "{", "}", "{...}", entries, pair);
}

/** A Counter's count as a number (NaN when it is not a number). */
function count(x: unknown): number {
  if (x instanceof PyFloat) return x.value;
  return typeof x === "number" || typeof x === "bigint" ? Number(x) : NaN;
}

/** Python's `repr` of a complex: `1j`, `(1.5-2j)`, `(-0+1j)`, `(1+infj)`. */
export function complexRepr(re: number, im: number): string {
  const part = (x: number) => floatRepr(x).replace(/\.0$/, "");
  const imag = part(im) + "j";
  if (re === 0 && !Object.is(re, -0)) return imag;
  const sign = im < 0 || Object.is(im, -0) ? "" : "+";
  return `(${part(re)}${sign}${imag})`;
}

/** The shortest text that reads back as the same float32 (numpy's `str` of `np.float32`). */
export function float32Repr(x: number): string {
  if (!Number.isFinite(x)) return floatRepr(x);
  const f = Math.fround(x);
  for (let p = 1; p <= 9; p++) {
    const n = Number(f.toPrecision(p));
    if (Math.fround(n) === f) return floatRepr(n);
  }
  return floatRepr(f);
}

/** The shortest text that reads back as the same float16. */
function float16Repr(x: number): string {
  if (!Number.isFinite(x)) return floatRepr(x);
  for (let p = 1; p <= 6; p++) {
    const n = Number(x.toPrecision(p));
    if (toHalfValue(n) === x) return floatRepr(n);
  }
  return floatRepr(x);
}

/** `n` rounded to the nearest float16 value. */
function toHalfValue(n: number): number {
  if (n === 0 || !Number.isFinite(n)) return n;
  const e = Math.max(Math.floor(Math.log2(Math.abs(n))), -14);
  const step = 2 ** (e - 10);
  return Math.round(n / step) * step;
}

/** A numpy scalar (a 0-d Tensor) as numpy prints it; other arrays by dtype and shape. */
function tensorText(t: Tensor): string {
  if (t.shape.length === 0 && t.data.length > 0) {
    const x = t.data[0];
    switch (t.dtype) {
      case "bool":
        return x ? "True" : "False";
      case "float64":
        return floatRepr(x as number);
      case "float32":
        return float32Repr(x as number);
      case "float16":
        return float16Repr(halfToNumber(x as number));
      case "complex64":
      case "complex128":
        return complexRepr(t.data[0] as number, t.data[1] as number);
      case "bfloat16":
        break;
      default:
        return String(x);
    }
  }
  return `<array of ${t.dtype}, shape (${t.shape.join(", ")})>`;
}

// ---- objects of the standard library, from what their pickles hold

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

interface DateParts {
  year: number;
  month: number;
  day: number;
}
interface TimeParts {
  hour: number;
  minute: number;
  second: number;
  micro: number;
}

function dateParts(b: Uint8Array, at = 0): DateParts {
  return {
    year: b[at] * 256 + b[at + 1],
    month: b[at + 2] & 0x7f, // the high bit is the fold
    day: b[at + 3],
  };
}
function timeParts(b: Uint8Array, at: number): TimeParts {
  return {
    hour: b[at] & 0x7f,
    minute: b[at + 1],
    second: b[at + 2],
    micro: (b[at + 3] << 16) | (b[at + 4] << 8) | b[at + 5],
  };
}

function dateText(d: DateParts): string {
  return `${pad(d.year, 4)}-${pad(d.month)}-${pad(d.day)}`;
}
function timeText(t: TimeParts): string {
  return `${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}${
    t.micro ? `.${pad(t.micro, 6)}` : ""
  }`;
}

/** A timedelta's days, seconds and microseconds, when `o` is one. */
export function timedeltaParts(o: unknown): [number, number, number] | null {
  if (
    !(o instanceof PyObject) || o.module !== "datetime" ||
    o.name !== "timedelta"
  ) return null;
  const [d = 0, s = 0, us = 0] = o.args;
  if (![d, s, us].every((x) => typeof x === "number")) return null;
  return [d as number, s as number, us as number];
}

/** `str(timedelta)`: `1 day, 0:00:05`, `-1 day, 23:59:59`, `0:00:00.000006`. */
function timedeltaText(days: number, seconds: number, micro: number): string {
  const hms = `${Math.floor(seconds / 3600)}:${
    pad(Math.floor(seconds / 60) % 60)
  }:${pad(seconds % 60)}${micro ? `.${pad(micro, 6)}` : ""}`;
  if (days === 0) return hms;
  return `${days} day${Math.abs(days) === 1 ? "" : "s"}, ${hms}`;
}

function timedeltaRepr(days: number, seconds: number, micro: number): string {
  const parts: string[] = [];
  if (days) parts.push(`days=${days}`);
  if (seconds) parts.push(`seconds=${seconds}`);
  if (micro) parts.push(`microseconds=${micro}`);
  return `datetime.timedelta(${parts.length ? parts.join(", ") : "0"})`;
}

/** The UTC offset a `datetime.timezone` holds, as `+HH:MM`, or null for another tzinfo. */
function offsetOf(tz: unknown): { text: string; name: string | null } | null {
  if (
    !(tz instanceof PyObject) || tz.module !== "datetime" ||
    tz.name !== "timezone"
  ) return null;
  const delta = timedeltaParts(tz.args[0]);
  if (delta === null) return null;
  const [d, s, us] = delta;
  let total = (d * 86400 + s) * 1e6 + us;
  const sign = total < 0 ? "-" : "+";
  total = Math.abs(total);
  const micro = total % 1e6;
  const secs = Math.floor(total / 1e6);
  let text = `${sign}${pad(Math.floor(secs / 3600))}:${
    pad(Math.floor(secs / 60) % 60)
  }`;
  if (secs % 60 || micro) text += `:${pad(secs % 60)}`;
  if (micro) text += `.${pad(micro, 6)}`;
  const name = typeof tz.args[1] === "string" ? tz.args[1] as string : null;
  return { text, name };
}

/** Python's str() or repr() of a well-known stdlib object; a placeholder for others. */
function objectText(o: PyObject, str: boolean): string {
  const key = `${o.module}.${o.name}`;
  const [a, b] = o.args;
  switch (key) {
    case "datetime.date":
      if (a instanceof Uint8Array && a.length === 4) {
        const d = dateParts(a);
        return str
          ? dateText(d)
          : `datetime.date(${d.year}, ${d.month}, ${d.day})`;
      }
      break;
    case "datetime.datetime":
      if (a instanceof Uint8Array && a.length === 10) {
        const d = dateParts(a);
        const t = timeParts(a, 4);
        const tz = b === undefined || b === null ? null : offsetOf(b);
        if (b !== undefined && b !== null && tz === null) break;
        if (str) {
          return `${dateText(d)} ${timeText(t)}${tz ? tz.text : ""}`;
        }
        const fields = [d.year, d.month, d.day, t.hour, t.minute];
        if (t.second || t.micro) fields.push(t.second);
        if (t.micro) fields.push(t.micro);
        return `datetime.datetime(${fields.join(", ")}${
          tz ? `, tzinfo=${objectText(b as PyObject, false)}` : ""
        })`;
      }
      break;
    case "datetime.time":
      if (a instanceof Uint8Array && a.length === 6) {
        const t = timeParts(a, 0);
        const tz = b === undefined || b === null ? null : offsetOf(b);
        if (b !== undefined && b !== null && tz === null) break;
        if (str) return `${timeText(t)}${tz ? tz.text : ""}`;
        const fields = [t.hour, t.minute];
        if (t.second || t.micro) fields.push(t.second);
        if (t.micro) fields.push(t.micro);
        return `datetime.time(${fields.join(", ")}${
          tz ? `, tzinfo=${objectText(b as PyObject, false)}` : ""
        })`;
      }
      break;
    case "datetime.timedelta": {
      const p = timedeltaParts(o);
      if (p) return str ? timedeltaText(...p) : timedeltaRepr(...p);
      break;
    }
    case "datetime.timezone": {
      const tz = offsetOf(o);
      if (!tz) break;
      const utc = tz.text === "+00:00" && tz.name === null;
      if (str) return tz.name ?? (utc ? "UTC" : `UTC${tz.text}`);
      if (utc) return "datetime.timezone.utc";
      return `datetime.timezone(${
        timedeltaRepr(...timedeltaParts(o.args[0])!)
      }${tz.name === null ? "" : `, ${reprString(tz.name)}`})`;
    }
    case "decimal.Decimal":
      if (typeof a === "string" && o.args.length === 1) {
        return str ? a : `Decimal(${reprString(a)})`;
      }
      break;
    case "dill._dill._eval_repr":
    case "dill.dill._eval_repr":
      // dill pickles range() and the like as their repr, to be eval()ed
      if (typeof a === "string" && o.args.length === 1) return a;
      break;
  }
  return o.module ? `<${key} object>` : "<object>";
}

/** `repr()` of a Python str: single quotes unless the text has `'` and no `"`. */
export function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (cp < 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp === 0xad) {
      out += "\\x" + cp.toString(16).padStart(2, "0");
    } else if (cp >= 0xd800 && cp <= 0xdfff) {
      out += "\\u" + cp.toString(16).padStart(4, "0");
    } else out += ch;
  }
  return out + quote;
}

function reprBytes(b: Uint8Array): string {
  let hasSingle = false;
  let hasDouble = false;
  for (const x of b) {
    if (x === 0x27) hasSingle = true;
    if (x === 0x22) hasDouble = true;
  }
  const quote = hasSingle && !hasDouble ? '"' : "'";
  let out = "b" + quote;
  for (const x of b) {
    const ch = String.fromCharCode(x);
    if (ch === quote || ch === "\\") out += "\\" + ch;
    else if (x === 0x0a) out += "\\n";
    else if (x === 0x0d) out += "\\r";
    else if (x === 0x09) out += "\\t";
    else if (x < 0x20 || x >= 0x7f) {
      out += "\\x" + x.toString(16).padStart(2, "0");
    } else out += ch;
  }
  return out + quote;
}

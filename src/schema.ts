/**
 * Column kinds, row types inferred from a schema, and the checks that keep a
 * wrong value out of a table.
 *
 * @module
 */

/** A column of arbitrary objects, stored inline as base64 text of a pickle. */
export const OBJECT = "__object__";
/** A column of arbitrary objects, each pickled to `.table_objects/<uuid>`. */
export const PICKLE = "__pickle__";
/** A column of PyTorch state dicts, each saved to `.table_objects/<uuid>`. */
export const PYTORCH_STATE = "__pytorch_state__";

/** The kinds a column can have, with cox's names. */
export type ColumnKind =
  | "float"
  | "int"
  | "str"
  | "bool"
  | typeof OBJECT
  | typeof PICKLE
  | typeof PYTORCH_STATE;

/** Column name to kind, in column order. */
export type Schema = Record<string, ColumnKind>;

/** Every kind, in the order the docs list them. */
export const COLUMN_KINDS: readonly ColumnKind[] = [
  "float",
  "int",
  "str",
  "bool",
  OBJECT,
  PICKLE,
  PYTORCH_STATE,
];

/** The value a column of kind `K` accepts. */
export type ValueOf<K extends ColumnKind> = K extends "float" ? number
  : K extends "int" ? number | bigint
  : K extends "str" ? string | null
  : K extends "bool" ? boolean
  : unknown;

/**
 * What a column of kind `K` holds once stored: object kinds hold their
 * serialized cell (base64 text or a uuid), as in cox's data frames.
 */
export type CellOf<K extends ColumnKind> = K extends "float" ? number
  : K extends "int" ? number | bigint
  : K extends "bool" ? boolean
  : K extends "str" ? string | null
  : string;

/** A complete row of a table with schema `S`. */
export type Row<S extends Schema> = { [C in keyof S]: ValueOf<S[C]> };

/** A stored row of a table with schema `S`. */
export type StoredRow<S extends Schema> = { [C in keyof S]: CellOf<S[C]> };

/** Columns of a table with schema `S`, one array each. */
export type Columns<S extends Schema> = { [C in keyof S]: CellOf<S[C]>[] };

/**
 * The most UTF-8 bytes a str cell (and the serialized text of an OBJECT
 * cell) may hold. pandas stores a table's strings at one fixed width, that
 * of the widest, in every row; longer text belongs in a PICKLE column.
 */
export const MAX_STR_BYTES = 65536;

/** Bytes of `s` in UTF-8, counted without encoding it. */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 2; // a surrogate pair: 2 UTF-16 units, 4 bytes
      i++;
    } else n += 2;
  }
  return n;
}

/**
 * Refuses a string cell longer than MAX_STR_BYTES, naming the table and
 * column; returns it otherwise.
 */
export function checkStringCell(
  table: string,
  column: string,
  kind: ColumnKind,
  value: string,
): string {
  // a UTF-16 unit takes at most 3 bytes of UTF-8
  if (value.length * 3 <= MAX_STR_BYTES) return value;
  const bytes = utf8Length(value);
  if (bytes <= MAX_STR_BYTES) return value;
  throw new RangeError(
    `Cannot store ${
      kind === "str" ? "a string" : "a serialized object"
    } of ${bytes} bytes in ${kind} column "${column}" of table "${table}": ` +
      `a cell holds at most ${MAX_STR_BYTES} bytes of UTF-8 (pandas gives every row the width ` +
      `of the widest string); keep longer text or objects in a PICKLE column`,
  );
}

/** numpy scalar types a Python cox schema may give a column. */
export type NumpyType =
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "uint8"
  | "uint16"
  | "uint32"
  | "uint64"
  | "float32"
  | "float64"
  | "bool_"
  | "bool";

const NUMPY_INT_RANGE: Record<string, [bigint, bigint]> = {
  int8: [-(2n ** 7n), 2n ** 7n - 1n],
  int16: [-(2n ** 15n), 2n ** 15n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint8: [0n, 2n ** 8n - 1n],
  uint16: [0n, 2n ** 16n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

/** True for the numpy type names cox schemas use. */
export function isNumpyType(name: string): name is NumpyType {
  return name in NUMPY_INT_RANGE ||
    ["float32", "float64", "bool_", "bool"].includes(name);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** True when `kind` is one of the kinds cox knows. */
export function isColumnKind(kind: unknown): kind is ColumnKind {
  return typeof kind === "string" &&
    (COLUMN_KINDS as readonly string[]).includes(kind);
}

/** Describes a value for an error message: its kind and a short rendering. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "string") {
    const s = value.length > 40 ? `${value.slice(0, 40)}...` : value;
    return `string ${JSON.stringify(s)}`;
  }
  if (typeof value === "bigint") return `bigint ${value}n`;
  if (typeof value === "number" || typeof value === "boolean") {
    return `${typeof value} ${value}`;
  }
  if (Array.isArray(value)) return `array of ${value.length}`;
  return typeof value === "object"
    ? `${value.constructor?.name ?? "object"}`
    : typeof value;
}

/**
 * Checks one value against its column's kind and returns it normalized
 * (an int as a number when safe, else a bigint); throws a TypeError or
 * RangeError naming the table and column.
 */
export function checkValue(
  table: string,
  column: string,
  kind: ColumnKind,
  value: unknown,
  numpyType?: NumpyType,
): unknown {
  switch (kind) {
    case "float":
      if (typeof value === "number") return value;
      if (typeof value === "bigint") return Number(value);
      break;
    case "int":
      if (numpyType !== undefined && numpyType in NUMPY_INT_RANGE) {
        return checkNumpyInt(table, column, numpyType, value);
      }
      if (typeof value === "number") {
        if (Number.isSafeInteger(value)) return value;
        throw new RangeError(
          `Cannot store ${
            describe(value)
          } in int column "${column}" of table "${table}": ` +
            `expected a safe integer or a bigint within int64`,
        );
      }
      if (typeof value === "bigint") {
        if (value < INT64_MIN || value > INT64_MAX) {
          throw new RangeError(
            `Cannot store ${
              describe(value)
            } in int column "${column}" of table "${table}": ` +
              `it is outside int64`,
          );
        }
        return value >= -(2n ** 53n) + 1n && value <= 2n ** 53n - 1n
          ? Number(value)
          : value;
      }
      break;
    case "str":
      if (value === null) return null; // missing: stored as pandas' nan_rep
      if (typeof value === "string") {
        if (value.isWellFormed && !value.isWellFormed()) {
          throw new TypeError(
            `Cannot store ${
              describe(value)
            } in str column "${column}" of table "${table}": ` +
              `it holds a lone surrogate, which UTF-8 cannot encode`,
          );
        }
        return checkStringCell(table, column, kind, value);
      }
      break;
    case "bool":
      if (typeof value === "boolean") return value;
      break;
    default:
      if (value === undefined) break;
      return value;
  }
  throw new TypeError(
    `Cannot store ${
      describe(value)
    } in ${kind} column "${column}" of table "${table}": ` +
      `expected ${expectation(kind)}`,
  );
}

/** An int for a column of a numpy integer type: within its width and sign. */
function checkNumpyInt(
  table: string,
  column: string,
  numpyType: NumpyType,
  value: unknown,
): number | bigint {
  const [lo, hi] = NUMPY_INT_RANGE[numpyType];
  const big = typeof value === "bigint"
    ? value
    : typeof value === "number" && Number.isSafeInteger(value)
    ? BigInt(value)
    : null;
  if (big === null) {
    throw new TypeError(
      `Cannot store ${
        describe(value)
      } in ${numpyType} column "${column}" of table "${table}": ` +
        `expected a safe integer or a bigint`,
    );
  }
  if (big < lo || big > hi) {
    throw new RangeError(
      `Cannot store ${
        describe(value)
      } in ${numpyType} column "${column}" of table "${table}": ` +
        `it is outside ${lo}..${hi}`,
    );
  }
  return big >= -(2n ** 53n) + 1n && big <= 2n ** 53n - 1n ? Number(big) : big;
}

function expectation(kind: ColumnKind): string {
  switch (kind) {
    case "float":
      return "a number";
    case "int":
      return "an integer number or a bigint";
    case "str":
      return "a string";
    case "bool":
      return "a boolean";
    default:
      return "a value";
  }
}

/**
 * The kind cox's `schema_from_dict` gives a value: numbers that are integers
 * become int, other numbers float, strings str, booleans bool, anything
 * else `alternative`.
 */
export function kindOfExample(
  value: unknown,
  alternative: ColumnKind = OBJECT,
): ColumnKind {
  if (typeof value === "boolean") return "bool";
  if (typeof value === "bigint") return "int";
  if (typeof value === "number") {
    return Number.isInteger(value) && !Object.is(value, -0) ? "int" : "float";
  }
  if (typeof value === "string") return "str";
  return alternative;
}

/** Infers a schema from an example row, as cox's `schema_from_dict`. */
export function schemaFromExample(
  example: Record<string, unknown>,
  alternative: ColumnKind = OBJECT,
): Schema {
  const schema: Schema = {};
  for (const [name, value] of Object.entries(example)) {
    schema[name] = kindOfExample(value, alternative);
  }
  return schema;
}

/** True when two schemas have the same columns, kinds and order. */
export function sameSchema(a: Schema, b: Schema): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length &&
    ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

/** Renders a schema as `{a: float, b: int}` for messages. */
export function formatSchema(schema: Schema): string {
  return `{${Object.entries(schema).map(([k, v]) => `${k}: ${v}`).join(", ")}}`;
}

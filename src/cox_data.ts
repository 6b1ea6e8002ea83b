/**
 * cox's `COX_DATA` attribute: `{'schema': {column: type}, 'name': name}`,
 * pickled on each table's group. Types are Python's `float`, `int`, `str`
 * and `bool`, or cox's marker strings for the object kinds.
 *
 * @module
 */

import { StoreFileError } from "./h5/store_file.ts";
import { PyGlobal, type PyValue } from "./pickle/values.ts";
import {
  type ColumnKind,
  isColumnKind,
  isNumpyType,
  type NumpyType,
  type Schema,
} from "./schema.ts";

const PY_TYPE: Record<string, ColumnKind> = {
  "builtins.float": "float",
  "builtins.int": "int",
  "builtins.str": "str",
  "builtins.bool": "bool",
  "numpy.float64": "float",
  "numpy.float32": "float",
  "numpy.int64": "int",
  "numpy.int32": "int",
  "numpy.int16": "int",
  "numpy.int8": "int",
  "numpy.uint64": "int",
  "numpy.uint32": "int",
  "numpy.uint16": "int",
  "numpy.uint8": "int",
  "numpy.bool_": "bool",
  "numpy.bool": "bool",
};

/**
 * The numpy scalar types a cox schema may name for a column (`np.int8`),
 * by column: values must fit their width and signedness. Columns of
 * Python's own types are not listed.
 */
export function numpyTypes(data: PyValue): Record<string, NumpyType> {
  const raw = data !== null && typeof data === "object" &&
      !(data instanceof Map) && !Array.isArray(data)
    ? (data as Record<string, PyValue>).schema
    : undefined;
  const out: Record<string, NumpyType> = {};
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return out;
  for (const [column, t] of Object.entries(raw as Record<string, PyValue>)) {
    if (t instanceof PyGlobal && t.module === "numpy" && isNumpyType(t.name)) {
      out[column] = t.name;
    }
  }
  return out;
}

const KIND_TO_PY: Record<"float" | "int" | "str" | "bool", PyGlobal> = {
  float: new PyGlobal("builtins", "float"),
  int: new PyGlobal("builtins", "int"),
  str: new PyGlobal("builtins", "str"),
  bool: new PyGlobal("builtins", "bool"),
};

/** The COX_DATA value cox writes for a table. */
export function coxData(name: string, schema: Schema): PyValue {
  const pySchema: Record<string, PyValue> = {};
  for (const [column, kind] of Object.entries(schema)) {
    pySchema[column] = kind in KIND_TO_PY
      ? KIND_TO_PY[kind as keyof typeof KIND_TO_PY]
      : kind;
  }
  return { schema: pySchema, name };
}

/** The schema a COX_DATA value holds; throws a StoreFileError naming the file and table. */
export function schemaFromCoxData(
  path: string,
  key: string,
  data: PyValue,
): Schema {
  const raw =
    data !== null && typeof data === "object" && !(data instanceof Map) &&
      !Array.isArray(data)
      ? (data as Record<string, PyValue>).schema
      : undefined;
  if (
    raw === null || typeof raw !== "object" || Array.isArray(raw) ||
    raw instanceof Map
  ) {
    throw new StoreFileError(
      path,
      `Cannot read table "${key}" in ${path}: its COX_DATA holds no schema dict`,
    );
  }
  const schema: Schema = {};
  for (const [column, t] of Object.entries(raw as Record<string, PyValue>)) {
    const kind = t instanceof PyGlobal
      ? PY_TYPE[`${t.module}.${t.name}`]
      : isColumnKind(t)
      ? t
      : undefined;
    if (kind === undefined) {
      throw new StoreFileError(
        path,
        `Cannot read table "${key}" in ${path}: column "${column}" has schema type ${
          t instanceof PyGlobal ? `${t.module}.${t.name}` : JSON.stringify(t)
        }, expected float, int, str, bool or a cox object kind`,
      );
    }
    schema[column] = kind;
  }
  return schema;
}

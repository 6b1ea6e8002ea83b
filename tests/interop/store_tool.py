"""Reads and appends to cox stores with pandas/PyTables, as the original cox does.

  store_tool.py read STORE.h5          -> JSON: every table's columns, dtypes, rows, COX_DATA
  store_tool.py append STORE.h5 TABLE  (JSON rows on stdin) -> appends them as cox's flush_row
  store_tool.py write STORE.h5 TABLE   (JSON {"schema": {...}, "rows": [...]} on stdin)
                                       -> a fresh table written as the original cox writes it
Ints are written as strings in the JSON output so that int64 survives exactly.
"""
import json
import math
import sys
import warnings

import pandas as pd

warnings.simplefilter("ignore")
TYPES = {"float": float, "int": int, "str": str, "bool": bool}


def cell(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    return v


def type_name(t):
    return t.__name__ if isinstance(t, type) else t


def read(path):
    out = {}
    with pd.HDFStore(path, mode="r") as store:
        for key in store.keys():
            name = key.lstrip("/")
            df = store[key]
            storer = store.get_storer(key)
            cox = storer.attrs.COX_DATA if "COX_DATA" in storer.attrs else None
            out[name] = {
                "columns": list(df.columns),
                "dtypes": {c: str(df[c].dtype) for c in df.columns},
                "index": [int(i) for i in df.index],
                "rows": [{c: cell(v.item() if hasattr(v, "item") else v) for c, v in row.items()}
                         for row in df.to_dict("records")],
                "nrows": int(storer.nrows),
                "cox": None if cox is None else {
                    "name": cox["name"],
                    "schema": {c: type_name(t) for c, t in cox["schema"].items()},
                    "schema_types": {c: repr(t) for c, t in cox["schema"].items()},
                },
            }
    print(json.dumps(out))


def coerce(schema, row):
    return {c: [TYPES[schema[c]](v) if schema[c] in TYPES else v] for c, v in row.items()}


def append(path, table):
    rows = json.load(sys.stdin)
    with pd.HDFStore(path, mode="a") as store:
        cox = store.get_storer(table).attrs.COX_DATA
        schema = {c: type_name(t) for c, t in cox["schema"].items()}
        for row in rows:
            df = pd.DataFrame(coerce(schema, {c: row[c] for c in schema}))
            df.index += store.get_storer(table).nrows
            store.append(table, df, format="table")


def write(path, table):
    spec = json.load(sys.stdin)
    schema = spec["schema"]
    with pd.HDFStore(path, mode="a") as store:
        for i, row in enumerate(spec["rows"]):
            df = pd.DataFrame(coerce(schema, {c: row[c] for c in schema}))
            df.index += i
            store.append(table, df, format="table")
            if i == 0:
                store.get_storer(table).attrs.COX_DATA = {
                    "schema": {c: TYPES.get(k, k) for c, k in schema.items()}, "name": table}


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "read":
        read(sys.argv[2])
    elif command == "append":
        append(sys.argv[2], sys.argv[3])
    elif command == "write":
        write(sys.argv[2], sys.argv[3])
    else:
        sys.exit(f"unknown command {command}")

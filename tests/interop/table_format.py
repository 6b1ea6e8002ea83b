"""Stores written and read by pandas/PyTables the way the original cox does, for
the table-format tests.

  table_format.py write STORE TABLE   (JSON {"schema": {...}, "rows": [...]} on stdin)
        -> TABLE written as cox's add_table + one flush_row per row: each value
           cast with its schema type (Python's float/int/str/bool or numpy's
           int8..uint64/float32/bool_), one HDFStore.append per row; COX_DATA
           names those types. TABLE may be nested ("train/acc").
  table_format.py append STORE TABLE  (JSON rows on stdin) -> cox's flush_row per row
  table_format.py read STORE          -> JSON: every pandas object (any depth):
           columns, dtypes, index, rows (ints as strings, NaN as "NaN"), COX_DATA
  table_format.py select STORE TABLE WHERE -> JSON list of the index values selected
  table_format.py extras STORE        -> adds objects cox never writes: a Series and a
           frame in pandas' fixed format, a frame_table without COX_DATA,
           attributes on the root and on a group
  table_format.py extras-vlen STORE   -> adds variable-length data: a fixed-format frame
           with a str column and a str Series (PyTables VLArrays of pickles), a user
           attribute on that frame's group, and h5py's variable-length strings (a dataset,
           an attribute, a compound member) and int sequences
  table_format.py show-vlen STORE     -> JSON of those objects and attributes
  table_format.py extras-blosc STORE  -> adds a frame_table compressed with blosc (an HDF5
           filter a rebuild cannot carry)
  table_format.py show-extras STORE   -> JSON of those objects and attributes
  table_format.py data-columns STORE TABLE N -> a cox-style table of N rows written
           with data_columns=True (every column its own indexed field)
"""
import json
import math
import sys
import warnings

import numpy as np
import pandas as pd
import tables

warnings.simplefilter("ignore")
TYPES = {"float": float, "int": int, "str": str, "bool": bool}
NUMPY = {name: getattr(np, name) for name in
         ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
          "uint64", "float32", "float64", "bool_"]}


def schema_type(name):
    return TYPES.get(name) or NUMPY.get(name) or name


def cell(v):
    if hasattr(v, "item"):
        v = v.item()
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


def frame(schema, row, index):
    """One row as cox's flush_row gives it to pandas: each value cast to its schema type."""
    data = {}
    for c, t in schema.items():
        v = row[c]
        if t in NUMPY:
            if t.startswith(("int", "uint")):
                v = int(v)
            data[c] = np.array([v], dtype=NUMPY[t])
        elif t in TYPES:
            data[c] = [TYPES[t](int(v) if t == "int" else v)]
        else:
            data[c] = [v]
    df = pd.DataFrame(data)
    df.index += index
    return df


def write(path, table):
    spec = json.load(sys.stdin)
    schema = spec["schema"]
    with pd.HDFStore(path, mode="a") as store:
        for i, row in enumerate(spec["rows"]):
            store.append(table, frame(schema, row, i), format="table")
            if i == 0:
                store.get_storer(table).attrs.COX_DATA = {
                    "schema": {c: schema_type(t) for c, t in schema.items()}, "name": table}


def type_name(t):
    if isinstance(t, type):
        return t.__name__
    return t


def append(path, table):
    rows = json.load(sys.stdin)
    with pd.HDFStore(path, mode="a") as store:
        cox = store.get_storer(table).attrs.COX_DATA
        schema = {c: type_name(t) for c, t in cox["schema"].items()}
        for row in rows:
            store.append(table, frame(schema, row, store.get_storer(table).nrows), format="table")


def read(path):
    out = {}
    with pd.HDFStore(path, mode="r") as store:
        for key in store.keys():
            obj = store[key]
            storer = store.get_storer(key)
            name = key.lstrip("/")
            if isinstance(obj, pd.Series):
                out[name] = {"series": [cell(v) for v in obj.tolist()]}
                continue
            cox = storer.attrs.COX_DATA if "COX_DATA" in storer.attrs else None
            out[name] = {
                "columns": [str(c) for c in obj.columns],
                "dtypes": {str(c): str(obj[c].dtype) for c in obj.columns},
                "index": [int(i) for i in obj.index],
                "rows": [[cell(v) for v in row] for row in obj.itertuples(index=False)],
                "cox": None if cox is None else {
                    "name": cox["name"],
                    "schema": {c: type_name(t) for c, t in cox["schema"].items()},
                },
            }
    print(json.dumps(out))


def select(path, table, where):
    with pd.HDFStore(path, mode="r") as store:
        print(json.dumps([int(i) for i in store.select(table, where=where).index]))


def extras(path):
    with pd.HDFStore(path, mode="a") as store:
        store.put("series", pd.Series([1.5, 2.5, np.nan], name="s"))
        store.put("fixed", pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]}))
        store.append("plain", pd.DataFrame({"v": [0.25, 0.75]}), format="table")
        store.get_storer("plain").attrs.user_meta = {"k": [1, 2]}
        store._handle.root._v_attrs.user_note = "kept"
        store._handle.root._v_attrs.user_count = np.int64(7)


def extras_vlen(path):
    with pd.HDFStore(path, mode="a") as store:
        store.put("objects", pd.DataFrame({"a": [1, 2], "b": ["x", "yy"]}))
        store.put("runs/names", pd.Series(["adam", "sgd", None, "é"], name="opt"))
        store.get_storer("objects").attrs.user_meta = {"about": "objects"}
    import h5py
    dt = np.dtype([("n", "<i8"), ("s", h5py.string_dtype()), ("f", "<f4")])
    with h5py.File(path, "a") as f:
        g = f.create_group("h5py_things")
        g.create_dataset("words", data=["one", "two three", ""], dtype=h5py.string_dtype())
        g.create_dataset("records", data=np.array([(1, "alpha", 0.5), (2, "beta", 1.5)], dtype=dt),
                         chunks=True, maxshape=(None,))
        seqs = np.empty(2, dtype=object)
        seqs[0], seqs[1] = np.arange(3, dtype="i4"), np.arange(5, dtype="i4")
        g.create_dataset("seqs", data=seqs, dtype=h5py.vlen_dtype("i4"))
        g.attrs["note"] = "variable-length text"
        f.attrs["vlen_note"] = "on the root"


def show_vlen(path):
    import h5py
    with pd.HDFStore(path, mode="r") as store:
        objects = store["objects"]
        out = {
            "objects": objects.to_dict("list"),
            "objects_dtypes": [str(t) for t in objects.dtypes],
            "objects_meta": store.get_storer("objects").attrs.user_meta,
            "names": store["runs/names"].tolist(),
            "names_name": store["runs/names"].name,
        }
    with h5py.File(path, "r") as f:
        g = f["h5py_things"]
        out["words"] = [w.decode() for w in g["words"][()]]
        out["records"] = [[int(n), s.decode(), float(x)] for n, s, x in g["records"][()]]
        out["seqs"] = [s.tolist() for s in g["seqs"][()]]
        out["note"] = g.attrs["note"]
        out["vlen_note"] = f.attrs["vlen_note"]
    print(json.dumps(out))


def extras_blosc(path):
    with pd.HDFStore(path, mode="a") as store:
        store.append("packed", pd.DataFrame({"a": [1, 2]}), complib="blosc:lz4", complevel=5)


def show_extras(path):
    with pd.HDFStore(path, mode="r") as store:
        print(json.dumps({
            "series": [cell(v) for v in store["series"].tolist()],
            "fixed": store["fixed"].to_dict("list"),
            "plain": store["plain"]["v"].tolist(),
            "plain_meta": store.get_storer("plain").attrs.user_meta,
            "user_note": store._handle.root._v_attrs.user_note,
            "user_count": int(store._handle.root._v_attrs.user_count),
        }))


def data_columns(path, table, n):
    with pd.HDFStore(path, mode="a") as store:
        for i in range(n):
            df = pd.DataFrame({"a": [float(i)], "n": [i], "s": ["s%03d" % i]})
            df.index += i
            store.append(table, df, format="table", data_columns=True)
            if i == 0:
                store.get_storer(table).attrs.COX_DATA = {
                    "schema": {"a": float, "n": int, "s": str}, "name": table}


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "write":
        write(*args)
    elif command == "append":
        append(*args)
    elif command == "read":
        read(*args)
    elif command == "select":
        select(*args)
    elif command == "extras":
        extras(*args)
    elif command == "extras-vlen":
        extras_vlen(*args)
    elif command == "show-vlen":
        show_vlen(*args)
    elif command == "extras-blosc":
        extras_blosc(*args)
    elif command == "show-extras":
        show_extras(*args)
    elif command == "data-columns":
        data_columns(args[0], args[1], int(args[2]))
    else:
        sys.exit(f"unknown command {command}")

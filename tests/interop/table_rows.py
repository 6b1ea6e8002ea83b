"""Reads a table's row count and some of its rows with pandas, without
loading the whole table:

  table_rows.py STORE.h5 TABLE [ROW ...]  -> JSON {"nrows": n, "rows": {ROW: {column: value}}}

Each row is read by pandas.read_hdf(start=ROW, stop=ROW + 1); ints are given
as strings so that int64 survives exactly."""
import json
import sys
import warnings

import pandas as pd

warnings.simplefilter("ignore")
path, key, *wanted = sys.argv[1:]
with pd.HDFStore(path, mode="r") as store:
    nrows = store.get_storer(key).nrows
rows = {}
for text in wanted:
    i = int(text)
    df = pd.read_hdf(path, key, start=i, stop=i + 1)
    if len(df) != 1:
        sys.exit(f"{path}: row {i} of {key} is missing")
    record = {}
    for column, value in df.iloc[0].items():
        if hasattr(value, "item"):
            value = value.item()
        if isinstance(value, bytes):
            value = value.decode()
        record[column] = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    record["index"] = str(int(df.index[0]))
    rows[text] = record
print(json.dumps({"nrows": int(nrows), "rows": rows}))

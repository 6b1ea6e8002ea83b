"""Reads a table's object cells as the original cox does (Table.get_object,
get_pickle, get_state_dict): base64 pickles inline, pickles and torch.save
files in .table_objects/<uuid>. Prints JSON: one object per row.

  cox_objects.py RUN_DIR TABLE
"""
import codecs
import json
import os
import pickle
import sys
import warnings

import pandas as pd
import torch

warnings.simplefilter("ignore")
run, table = sys.argv[1], sys.argv[2]
objects = os.path.join(run, ".table_objects")


def plain(v):
    if isinstance(v, torch.Tensor):
        return {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape), "values": v.flatten().tolist()}
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v] + (["<tuple>"] if isinstance(v, tuple) else [])
    if isinstance(v, (set, frozenset)):
        return sorted(plain(x) for x in v)
    if isinstance(v, bytes):
        return {"bytes": list(v)}
    return v


with pd.HDFStore(os.path.join(run, "store.h5"), mode="r") as store:
    schema = store.get_storer(table).attrs.COX_DATA["schema"]
    df = store[table]
rows = []
for _, row in df.iterrows():
    out = {}
    for column, kind in schema.items():
        cell = row[column]
        if kind == "__object__":
            out[column] = plain(pickle.loads(codecs.decode(cell.encode(), "base64")))
        elif kind == "__pickle__":
            with open(os.path.join(objects, cell), "rb") as f:
                out[column] = plain(pickle.load(f))
        elif kind == "__pytorch_state__":
            out[column] = plain(torch.load(os.path.join(objects, cell)))
        else:
            out[column] = plain(cell.item() if hasattr(cell, "item") else cell)
    rows.append(out)
print(json.dumps(rows))

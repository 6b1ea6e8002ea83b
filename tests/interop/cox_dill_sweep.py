"""Writes a sweep as the original cox does (OBJECT cells: base64 of
dill.dumps; PICKLE cells: dill.dump into .table_objects/<uuid>), one run per
case of a battery of values, then reads it back as cox does and prints JSON:

  {"cases": {case: {"plain": ..., "str": str(value), "run": exp_id}},
   "csv": CollectionReader.df("metadata").to_csv(index=False),
   "names": {exp_id: the name cox's tensorboard_view gives the run}}

  cox_dill_sweep.py OUT_DIR [CASE...]
"""
import codecs
import collections
import datetime as dt
import decimal
import json
import math
import os
import sys
import uuid
import warnings

import dill
import numpy as np
import pandas as pd
import torch

warnings.simplefilter("ignore")
OBJECT, PICKLE = "__object__", "__pickle__"

CASES = {
    # arrays, tensors and the types dill writes with its own reconstructors
    "arr_f32": lambda: np.arange(6, dtype=np.float32).reshape(2, 3),
    "arr_i64": lambda: np.array([1, -2, 3]),
    "arr_fortran": lambda: np.asfortranarray(np.arange(6).reshape(2, 3)),
    "arr_bool": lambda: np.array([True, False]),
    "arr_c128": lambda: np.array([1 + 2j, -0.5j]),
    "arr_be": lambda: np.array([1.5, 2.5], dtype=">f8"),
    "arr_empty": lambda: np.zeros((0, 3), dtype=np.uint8),
    "dict_arrays": lambda: {"w": np.ones((2, 2)), "b": np.zeros(3, dtype=np.int16)},
    "torch_f32": lambda: torch.tensor([[1.5, 2.0], [3.0, 4.0]]),
    "torch_i64": lambda: torch.arange(5),
    "torch_strided": lambda: torch.arange(6).reshape(2, 3).t(),
    "torch_dict": lambda: {"weight": torch.ones(2, 2), "bias": torch.zeros(2, dtype=torch.float64)},
    "bytearray": lambda: bytearray(b"ab\x00"),
    "complex": lambda: complex(1.5, -2),
    "set": lambda: {1, 2, 3},
    "frozenset": lambda: frozenset({"a"}),
    "type_int": lambda: int,
    "type_none": lambda: type(None),
    "type_bytearray": lambda: bytearray,
    # Python's str() of values
    "floats": lambda: [1.0, 0.5],
    "float2": lambda: 2.0,
    "np_f64": lambda: np.float64(3.0),
    "np_f32": lambda: np.float32(0.1),
    "np_i32": lambda: np.int32(7),
    "np_bool": lambda: np.bool_(True),
    "none": lambda: None,
    "true_none": lambda: [True, None],
    "date": lambda: dt.date(2024, 1, 2),
    "datetime": lambda: dt.datetime(2024, 1, 2, 3, 4, 5, 6),
    "datetime_utc": lambda: dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
    "time": lambda: dt.time(3, 4, 5, 7),
    "timedelta": lambda: dt.timedelta(days=1, seconds=5),
    "timedelta_neg": lambda: dt.timedelta(seconds=-1),
    "decimal": lambda: decimal.Decimal("1.10"),
    "ordered": lambda: collections.OrderedDict([("a", 1), ("b", [2.0])]),
    "default": lambda: collections.defaultdict(list, {"a": [1]}),
    "counter": lambda: collections.Counter("abb"),
    "nested": lambda: {"x": [1.0, None, (2,)], "y": {1: "a"}, "z": {"q"}},
    "cplx_list": lambda: [1j, complex(-0.0, 1), complex(1, float("inf"))],
}


def num(x):
    return x if math.isfinite(x) else str(x)


def plain(v):
    """The value as JSON, tagged where JSON cannot tell (inf and nan as text)."""
    if isinstance(v, float):
        return num(v)
    if isinstance(v, torch.Tensor):
        return {"tensor": str(v.dtype).replace("torch.", ""), "shape": list(v.shape),
                "values": v.flatten().tolist()}
    if isinstance(v, np.ndarray):
        flat = v.flatten(order="C")
        values = [[num(x.real), num(x.imag)] for x in flat.tolist()] if v.dtype.kind == "c" else flat.tolist()
        return {"ndarray": v.dtype.name, "shape": list(v.shape), "values": values}
    if isinstance(v, complex):
        return {"complex": [num(v.real), num(v.imag)]}
    if isinstance(v, (bytes, bytearray)):
        return {"bytes": list(v)}
    if isinstance(v, type):
        return {"type": f"{v.__module__}.{v.__qualname__}"}
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, (set, frozenset)):
        return sorted(plain(x) for x in v)
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, (int, float, str, bool)) or v is None:
        return v
    return {"str": str(v)}


def write_run(out, exp_id, value):
    """One run with table metadata {v: OBJECT, p: PICKLE}, as cox's flush_row writes it."""
    run = os.path.join(out, exp_id)
    objects = os.path.join(run, ".table_objects")
    os.makedirs(objects)
    os.makedirs(os.path.join(run, "tensorboard"))
    uid = str(uuid.uuid4())
    with open(os.path.join(objects, uid), "wb") as f:
        dill.dump(value, f)
    row = {"v": [codecs.encode(dill.dumps(value), "base64").decode()], "p": [uid]}
    with pd.HDFStore(os.path.join(run, "store.h5"), mode="a") as store:
        store.append("metadata", pd.DataFrame(row), format="table")
        store.get_storer("metadata").attrs.COX_DATA = {
            "schema": {"v": OBJECT, "p": PICKLE}, "name": "metadata"}


def cox_df(out):
    """CollectionReader(out).df('metadata'), as cox builds it."""
    tables = []
    for exp_id in sorted(os.listdir(out)):
        run = os.path.join(out, exp_id)
        with pd.HDFStore(os.path.join(run, "store.h5"), mode="r") as store:
            df = store["metadata"]
        df["exp_id"] = exp_id
        df["v"] = pd.Series([dill.loads(codecs.decode(x.encode(), "base64")) for x in df["v"]])
        objects = os.path.join(run, ".table_objects")
        loaded = []
        for x in df["p"]:
            with open(os.path.join(objects, x), "rb") as f:
                loaded.append(dill.load(f))
        df["p"] = pd.Series(loaded)
        tables.append(df)
    return pd.concat(tables)


def main():
    out = sys.argv[1]
    names = sys.argv[2:] or list(CASES)
    cases = {}
    for name in names:
        value = CASES[name]()
        write_run(out, name, value)
        cases[name] = {"plain": plain(value), "str": str(value)}
    df = cox_df(out)
    tb = {}
    for exp_id in names:
        # tensorboard_view: str() of the frame's cell; a list joined with "."
        value = df[df["exp_id"] == exp_id]["v"][0]
        tb[exp_id] = ".".join(str(x) for x in value) if type(value) == list else str(value)
    print(json.dumps({"cases": cases, "csv": df.to_csv(index=False), "names": tb}))


main()

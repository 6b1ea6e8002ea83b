"""Makes a run's store.h5 reach outside its file, as an attacker could, with h5py.

    h5_external.py KIND STORE OUTSIDE_DIR

KIND: "storage" (the log table's rows in an external raw file, H5Pset_external),
"link" (the log group an external link to another .h5), "virtual" (the log
table a virtual dataset over another file's dataset). STORE holds a table
"log" written by us; the outside files go in OUTSIDE_DIR.
"""
import os
import sys

import h5py
import numpy as np

kind, store, outside = sys.argv[1], sys.argv[2], sys.argv[3]

with h5py.File(store, "a") as f:
    old = f["log/table"]
    data = old[()]
    attrs = dict(old.attrs.items())
    dtype = old.dtype
    if kind == "storage":
        raw = os.path.join(outside, "rows.bin")
        with open(raw, "wb") as out:
            out.write(np.zeros(len(data), dtype=dtype).tobytes())
        del f["log/table"]
        new = f["log"].create_dataset(
            "table", shape=data.shape, dtype=dtype, external=[(raw, 0, h5py.h5f.UNLIMITED)]
        )
        new[...] = data
        for k, v in attrs.items():
            new.attrs[k] = v
    elif kind == "link":
        other = os.path.join(outside, "other.h5")
        with h5py.File(other, "w") as o:
            f.copy("log", o, name="log")
        del f["log"]
        f["log"] = h5py.ExternalLink(other, "/log")
    elif kind == "virtual":
        other = os.path.join(outside, "source.h5")
        with h5py.File(other, "w") as o:
            o.create_dataset("rows", data=data)
        layout = h5py.VirtualLayout(shape=data.shape, dtype=dtype)
        layout[:] = h5py.VirtualSource(other, "rows", shape=data.shape)
        del f["log/table"]
        new = f["log"].create_virtual_dataset("table", layout)
        for k, v in attrs.items():
            new.attrs[k] = v
    else:
        raise SystemExit(f"unknown kind {kind}")

"""Random pandas tables in cox's layout, for comparing the fast reader with h5wasm.

    _pandas_tables.py OUT SEED COUNT

Writes OUT/case-<i>/store.h5 for i < COUNT: one to three tables, each with
random columns (floats of 8 and 4 bytes with NaNs, signed and unsigned ints
of 1 to 8 bytes, bools, ASCII and non-ASCII strings with pandas' "nan"
marker), appended in one to three batches (so some tables span chunks),
stored as values blocks or as data columns, uncompressed or with zlib
(complib="zlib", levels 1 to 9, with PyTables' shuffle), with COX_DATA naming the
schema as cox writes it. Prints one JSON line per case describing it.
"""
import json
import os
import random
import sys
import warnings

import numpy as np
import pandas as pd

warnings.simplefilter("ignore")

KINDS = ["f8", "f4", "i8", "i4", "i2", "i1", "u1", "u2", "u4", "bool", "ascii", "text"]


def column(rng, kind, n):
    if kind in ("f8", "f4"):
        v = rng.standard_normal(n).astype(kind) * 1e3
        v[rng.random(n) < 0.1] = np.nan
        return v, float
    if kind == "bool":
        return rng.random(n) < 0.5, bool
    if kind in ("ascii", "text"):
        words = ["a", "bb", "train", "valid", "nan", "x" * 40, ""]
        if kind == "text":
            words += ["ünï", "日本語", "∂x/∂t"]
        return np.array([words[j] for j in rng.integers(0, len(words), n)], dtype=object), str
    info = np.iinfo(kind)
    lo, hi = max(info.min, -(2**62)), min(info.max, 2**62)
    return rng.integers(lo, hi, n, dtype=kind, endpoint=True), int


def main(out, seed, count):
    py = random.Random(seed)
    for i in range(count):
        rng = np.random.default_rng(seed * 1000 + i)
        run = os.path.join(out, f"case-{i:03d}")
        os.makedirs(run, exist_ok=True)
        zlib = py.random() < 0.6
        level = py.randint(1, 9)
        kw = {"complib": "zlib", "complevel": level} if zlib else {}
        tables = {}
        with pd.HDFStore(os.path.join(run, "store.h5"), mode="w", **kw) as store:
            for t in range(py.randint(1, 3)):
                name = f"t{t}"
                kinds = [py.choice(KINDS) for _ in range(py.randint(1, 6))]
                names = [f"c{j}_{k}" for j, k in enumerate(kinds)]
                data_columns = py.random() < 0.3
                batches = [py.choice([1, 7, 300, 2500, 12000]) for _ in range(py.randint(1, 3))]
                schema = {}
                for b, n in enumerate(batches):
                    cols = {}
                    for c, k in zip(names, kinds):
                        cols[c], schema[c] = column(rng, k, n)
                    frame = pd.DataFrame(cols)
                    frame.index = np.arange(sum(batches[:b]), sum(batches[: b + 1]))
                    options = {"format": "table", "min_itemsize": {c: 48 for c, k in zip(names, kinds) if k in ("ascii", "text")}}
                    if data_columns:
                        options["data_columns"] = True
                    if zlib:
                        options["complib"] = "zlib"
                        options["complevel"] = level
                    store.append(name, frame, **options)
                store.get_storer(name).attrs["COX_DATA"] = {"schema": schema, "name": name}
                tables[name] = {"kinds": kinds, "rows": sum(batches), "data_columns": data_columns}
        print(json.dumps({"case": i, "zlib": zlib, "level": level, "tables": tables}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))

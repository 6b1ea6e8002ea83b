"""A sweep as the original cox writes it, and cox's CollectionReader reading it.

    cox_sweep.py write OUT RUNS ROWS   # metadata (1 row) and log (ROWS rows) per run
    cox_sweep.py read OUT              # prints seconds for open, df("log"), df("metadata")

Writing follows cox's Store/Table: pandas HDFStore.append(name, df, format="table")
(values-block layout, PyTables index) and the pickled COX_DATA attribute on the
table's storer. The log's rows go in with one append per run (cox appends one
row at a time; the file layout is the same, as pandas sizes chunks by
max(expected rows, 10000) either way), so that thousands of runs can be made.
Reading follows cox.readers.CollectionReader: every run opened as a Store
(pd.HDFStore in mode "r", tables found by COX_DATA), then df(key) is
store[key] per run, an exp_id column, and pd.concat.
"""
import os
import sys
import time
import uuid
import warnings

import numpy as np
import pandas as pd

warnings.simplefilter("ignore")
COX_DATA = "COX_DATA"


def write(out, runs, rows):
    os.makedirs(out, exist_ok=True)
    for r in range(runs):
        exp_id = str(uuid.UUID(int=r + 1))
        run = os.path.join(out, exp_id)
        for sub in ("", "save", ".table_objects", "tensorboard"):
            os.makedirs(os.path.join(run, sub), exist_ok=True)
        with pd.HDFStore(os.path.join(run, "store.h5"), mode="a") as store:
            meta = {"lr": [10.0 ** -(r % 5)], "seed": [r], "arch": [f"resnet{18 + r % 4}-{r}"], "done": [r % 3 == 0]}
            schema = {"lr": float, "seed": int, "arch": str, "done": bool}
            store.append("metadata", pd.DataFrame(meta), format="table")
            store.get_storer("metadata").attrs[COX_DATA] = {"schema": schema, "name": "metadata"}
            steps = np.arange(rows)
            log = pd.DataFrame({
                "step": steps,
                "loss": 1.0 / (steps + 1) + r * 1e-6,
                "acc": steps / max(rows, 1),
                "phase": np.where(steps % 2 == 0, "train", "valid"),
            })
            store.append("log", log, format="table")
            store.get_storer("log").attrs[COX_DATA] = {
                "schema": {"step": int, "loss": float, "acc": float, "phase": str},
                "name": "log",
            }


class Store:
    """cox.store.Store in mode "r": the HDFStore and its cox tables."""

    def __init__(self, storage, exp_id):
        self.store = pd.HDFStore(os.path.join(storage, exp_id, "store.h5"), mode="r")
        self.tables = {}
        for key in self.store.keys():
            storer = self.store.get_storer(key)
            if COX_DATA in storer.attrs:
                data = storer.attrs[COX_DATA]
                self.tables[data["name"]] = (key, data["schema"])


class CollectionReader:
    def __init__(self, directory):
        self.stores = {}
        self.schemas = {}
        for exp_id in os.listdir(directory):
            if not os.path.exists(os.path.join(directory, exp_id, "store.h5")):
                continue
            store = Store(directory, exp_id)
            self.stores[exp_id] = store
            for name, (_, schema) in store.tables.items():
                self.schemas[name] = schema

    def df(self, key):
        tables = []
        for exp_id, store in self.stores.items():
            if key not in store.tables:
                continue
            df = store.store[store.tables[key][0]]
            df["exp_id"] = exp_id
            tables.append(df)
        return pd.concat(tables)


def read(out):
    t0 = time.perf_counter()
    reader = CollectionReader(out)
    t1 = time.perf_counter()
    log = reader.df("log")
    t2 = time.perf_counter()
    meta = reader.df("metadata")
    t3 = time.perf_counter()
    for store in reader.stores.values():
        store.store.close()
    print(f"{t1 - t0:.4f} {t2 - t1:.4f} {t3 - t2:.4f} {len(log)} {len(meta)}")


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        read(sys.argv[2])

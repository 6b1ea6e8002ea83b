"""Two runs as the original cox writes them, one with a snapshot made by
cox's Store.snapshot_copy (store.h5 copied to <run>_snapshot/), then the runs
and rows cox's CollectionReader finds. Prints JSON:
{"stores": [exp_id...], "exp_id": df("log")["exp_id"], "x": df("log")["x"]}

  cox_snapshot.py OUT_DIR
"""
import json
import os
import shutil
import sys
import warnings

import pandas as pd

warnings.simplefilter("ignore")
out = sys.argv[1]
for exp_id, xs in [("a", [1, 2]), ("b", [3])]:
    run = os.path.join(out, exp_id)
    os.makedirs(run)
    with pd.HDFStore(os.path.join(run, "store.h5"), mode="a") as store:
        for i, x in enumerate(xs):
            df = pd.DataFrame({"x": [x]})
            df.index += i
            store.append("log", df, format="table")
            if i == 0:
                store.get_storer("log").attrs.COX_DATA = {"schema": {"x": int}, "name": "log"}
# snapshot_copy of run a: its folder + "_snapshot", store.h5 copied in
os.makedirs(os.path.join(out, "a_snapshot"), exist_ok=True)
shutil.copy2(os.path.join(out, "a", "store.h5"), os.path.join(out, "a_snapshot", "store.h5"))
# CollectionReader: every entry with a store.h5 is a run
stores = [e for e in os.listdir(out) if os.path.exists(os.path.join(out, e, "store.h5"))]
frames = []
for exp_id in sorted(stores):
    with pd.HDFStore(os.path.join(out, exp_id, "store.h5"), mode="r") as store:
        df = store["log"]
    df["exp_id"] = exp_id
    frames.append(df)
df = pd.concat(frames)
print(json.dumps({"stores": sorted(stores), "exp_id": list(df["exp_id"]), "x": [int(v) for v in df["x"]]}))

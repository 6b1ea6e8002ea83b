"""Keeps one pandas session on STORE.h5 open (read-only) across another
process's flushes: reads table KEY, creates MARKER.read, waits for
MARKER.go, reads KEY again through the same session, closes it and creates
MARKER.closed, waits for MARKER.flushed, then reads KEY through a new
session. Prints JSON of the three reads: row count and whether every row
holds n = index and tag "row-<n>" (the first problem found, or null).

  kept_open.py STORE.h5 KEY MARKER"""
import json
import os
import sys
import time

import pandas as pd

path, key, marker = sys.argv[1], sys.argv[2], sys.argv[3]


def wait(name):
    for _ in range(600):
        if os.path.exists(marker + name):
            return
        time.sleep(0.05)
    sys.exit(f"{marker + name} did not appear in 30 s")


def check(df):
    for index, row in df.iterrows():
        if int(row["n"]) != int(index) or row["tag"] != f"row-{int(index)}":
            return f"row {index} is {dict(row)}"
    return None


def read(store):
    try:
        df = store.select(key)
        return {"rows": len(df), "problem": check(df)}
    except Exception as error:
        return {"rows": None, "problem": f"{type(error).__name__}: {error}"}


store = pd.HDFStore(path, mode="r")
first = read(store)
open(marker + ".read", "w").close()
wait(".go")
same = read(store)
store.close()
open(marker + ".closed", "w").close()
wait(".flushed")
with pd.HDFStore(path, mode="r") as fresh_store:
    fresh = read(fresh_store)
print(json.dumps({"first": first, "same": same, "fresh": fresh}))

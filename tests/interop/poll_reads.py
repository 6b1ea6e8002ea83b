"""Reads table KEY of STORE.h5 with pandas over and over, each time opening
the file afresh (as a notebook re-running a cell does), until the file
STOP exists: its row count and its last rows, which must be whole (row n
holds n = index and tag "row-<n>"). Prints JSON: how many reads, the row
counts seen (first, last), and every error or inconsistency.

  poll_reads.py STORE.h5 KEY STOP"""
import json
import os
import sys

import pandas as pd

path, key, stop = sys.argv[1], sys.argv[2], sys.argv[3]
reads = 0
refused = 0
counts = []
problems = []
open(stop + ".started", "w").close()
while not os.path.exists(stop):
    try:
        with pd.HDFStore(path, mode="r") as store:
            nrows = int(store.get_storer(key).nrows)
            if counts and nrows < counts[-1]:
                problems.append(f"row count went back from {counts[-1]} to {nrows}")
            counts.append(nrows)
            if nrows > 0:
                last = store.select(key, start=max(0, nrows - 3), stop=nrows)
                if len(last) != min(3, nrows):
                    problems.append(f"{len(last)} rows read at the end of {nrows}")
                for index, row in last.iterrows():
                    if int(row["n"]) != int(index) or row["tag"] != f"row-{int(index)}":
                        problems.append(f"row {index} of {nrows} is {dict(row)}")
        reads += 1
    except Exception as error:  # a torn file shows here
        if "unable to lock the file" in str(error):
            # HDF5's lock is held by the writer: the open is refused, not torn
            refused += 1
            continue
        problems.append(f"{type(error).__name__}: {error}")
    if len(problems) > 20:
        break
print(json.dumps({"reads": reads, "refused": refused, "first": counts[0] if counts else None,
                  "last": counts[-1] if counts else None, "problems": problems}))

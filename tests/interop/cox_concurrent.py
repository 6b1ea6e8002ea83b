"""Appends rows to table TABLE of STORE.h5 as Python cox's flush_row does
(HDFStore.append of a one-row frame, format="table", index = nrows), one
HDFStore session per row, while another process may be writing the file.

  cox_concurrent.py STORE.h5 TABLE WHO COUNT [TRIES]

Row k is {"n": k, "who": WHO}, k counting from 0 in each run. A session HDF5
cannot open because another process holds the file's lock is tried again
(after 1 ms), at most TRIES times a row (0, the default: no limit), and
counted; any other error stops the script. Prints "acked K" after each row is
appended and the store closed, then "busy B" (sessions refused by the lock);
a row given up on prints "gave up" and exits with 3."""
import sys
import time
import warnings

import pandas as pd

warnings.simplefilter("ignore")
path, table, who, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
tries = int(sys.argv[5]) if len(sys.argv) > 5 else 0
busy = 0
k = 0
refused = 0
while k < count:
    try:
        with pd.HDFStore(path, mode="a") as store:
            df = pd.DataFrame({"n": [k], "who": [who]})
            df.index += store.get_storer(table).nrows
            store.append(table, df, format="table")
    except Exception as error:  # HDF5's "unable to lock file" comes in several wrappers
        if "lock" not in str(error):
            raise
        busy += 1
        refused += 1
        if tries and refused >= tries:
            print(f"busy {busy}\ngave up", flush=True)
            sys.exit(3)
        time.sleep(0.001)
        continue
    k += 1
    refused = 0
    print(f"acked {k}", flush=True)
print(f"busy {busy}", flush=True)

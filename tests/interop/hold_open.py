"""Opens STORE.h5 read-only with pandas (as a notebook reading a run does),
prints "open", keeps it open for SECONDS, then closes it.

  hold_open.py STORE.h5 SECONDS"""
import sys
import time

import pandas as pd

store = pd.HDFStore(sys.argv[1], mode="r")
print("open", flush=True)
time.sleep(float(sys.argv[2]))
store.close()

"""Opens STORE.h5 read-only with pandas (as a notebook reading a run does),
keeps it open for SECONDS, then closes it. Creates MARKER.open once the file
is open and MARKER.closed once it is closed again.

  hold_open.py STORE.h5 SECONDS MARKER"""
import sys
import time

import pandas as pd

path, seconds, marker = sys.argv[1], float(sys.argv[2]), sys.argv[3]
store = pd.HDFStore(path, mode="r")
open(marker + ".open", "w").close()
time.sleep(seconds)
store.close()
open(marker + ".closed", "w").close()

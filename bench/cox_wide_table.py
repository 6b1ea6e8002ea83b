"""Times the first write of a wide cox table as the original cox does it: add_table
(COX_DATA), then flush_row: a one-row DataFrame of every column, one HDFStore.append."""
import os
import sys
import tempfile
import time
import warnings

import pandas as pd

warnings.simplefilter("ignore")
columns = int(sys.argv[1])
path = os.path.join(tempfile.mkdtemp(), "store.h5")
names = [f"class_{i}" for i in range(columns)]
t0 = time.perf_counter()
with pd.HDFStore(path, mode="a") as store:
    df = pd.DataFrame({c: [i / 7] for i, c in enumerate(names)}, index=[0])
    store.append("wide", df, format="table")
    store.get_storer("wide").attrs.COX_DATA = {"schema": {c: float for c in names}, "name": "wide"}
print(time.perf_counter() - t0)

"""Times rows logged as the original cox logs them: one HDFStore.append per row."""
import os
import sys
import tempfile
import time
import warnings

import pandas as pd

warnings.simplefilter("ignore")
n = int(sys.argv[1])
path = os.path.join(tempfile.mkdtemp(), "store.h5")
with pd.HDFStore(path, mode="a") as store:
    t0 = time.perf_counter()
    for i in range(n):
        df = pd.DataFrame({"loss": [1 / (i + 1)], "acc": [i / n], "epoch": [i >> 10], "tag": ["train" if i % 2 else "valid"]})
        df.index += i
        store.append("log", df, format="table")
    print((time.perf_counter() - t0) / n)

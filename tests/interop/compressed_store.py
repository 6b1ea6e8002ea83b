# Writes a pandas store whose cox table "log" (n rows of a float, an int and
# a str column) is compressed with the given complib, as pandas does it.
# Usage: compressed_store.py PATH COMPLIB N
import sys
import warnings

import numpy as np
import pandas as pd

warnings.simplefilter("ignore")
path, complib, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
df = pd.DataFrame(
    {
        "a": np.arange(n) / 7.0,
        "b": np.arange(n) * 3,
        "s": ["x%d" % (i % 17) for i in range(n)],
    }
)
with pd.HDFStore(path, mode="w", complib=complib, complevel=5) as s:
    s.append("log", df, format="table")
    s.get_storer("log").attrs["COX_DATA"] = {
        "schema": {"a": float, "b": int, "s": str},
        "name": "log",
    }

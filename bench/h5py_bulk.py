"""Times h5py writing N rows of {loss, acc, epoch, tag} in one bulk write
(a compound dataset of the rows pandas' table format would hold), to an
fresh file, including open and close. Prints seconds."""
import os
import sys
import tempfile
import time

import h5py
import numpy as np

n = int(sys.argv[1])
dtype = np.dtype([("index", "<i8"), ("loss", "<f8"), ("acc", "<f8"), ("epoch", "<i8"), ("tag", "S9")])
rows = np.empty(n, dtype=dtype)
i = np.arange(n)
rows["index"] = i
rows["loss"] = 1 / (i + 1)
rows["acc"] = i / n
rows["epoch"] = i >> 10
rows["tag"] = np.char.add(b"run-", np.char.zfill((i % 100_000).astype("S5"), 5))
path = os.path.join(tempfile.mkdtemp(), "store.h5")
t0 = time.perf_counter()
with h5py.File(path, "w") as f:
    f.create_dataset("log/table", data=rows, chunks=(65536,), maxshape=(None,))
    f.flush()
    os.fsync(f.id.get_vfd_handle())
print(time.perf_counter() - t0)

"""Turns a run's store.h5 log table into a deflate bomb, with h5py.

    _deflate_bomb.py STORE MIB

The table "log" (written by us) is replaced by one of the same row type whose
NROWS and extent claim MIB MiB of rows, in 1 MiB chunks of zeros, each
deflated once and written as it is (about 1 KiB a chunk): a valid file of
about MIB KiB that inflates to MIB MiB.
"""
import sys
import zlib

import h5py
import numpy as np

store, mib = sys.argv[1], int(sys.argv[2])

with h5py.File(store, "a") as f:
    old = f["log/table"]
    attrs = dict(old.attrs.items())
    dtype = old.dtype
    del f["log/table"]
    chunk_rows = (1 << 20) // dtype.itemsize
    rows = chunk_rows * mib
    new = f["log"].create_dataset(
        "table",
        shape=(rows,),
        maxshape=(None,),
        dtype=dtype,
        chunks=(chunk_rows,),
        compression="gzip",
        compression_opts=9,
    )
    packed = zlib.compress(np.zeros(chunk_rows, dtype=dtype).tobytes(), 9)
    for i in range(mib):
        new.id.write_direct_chunk((i * chunk_rows,), packed)
    for k, v in attrs.items():
        new.attrs[k] = v
    new.attrs["NROWS"] = np.int64(rows)

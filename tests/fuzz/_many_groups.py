"""Adds N empty groups to an HDF5 file's root (a hostile run's store.h5)."""
import sys

import h5py

with h5py.File(sys.argv[1], "a") as f:
    for i in range(int(sys.argv[2])):
        f.create_group(f"g{i}")

"""Adds N empty groups to an HDF5 file's root (a hostile run's store.h5).

    _many_groups.py STORE N [NAME_LENGTH]

Names are g0, g1, ... padded with x to NAME_LENGTH characters when given
(long names fill the root's link heap sooner).
"""
import sys

import h5py

width = int(sys.argv[3]) if len(sys.argv) > 3 else 0
with h5py.File(sys.argv[1], "a") as f:
    for i in range(int(sys.argv[2])):
        f.create_group(f"g{i}".ljust(width, "x"))

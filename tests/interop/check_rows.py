"""For each STORE.h5 N given, checks with pandas that table t holds at least N
rows and that its first N rows are rowAt(0..N-1) of tests/programs/rows.ts.
Prints one line per store: "<path> <rows found>"; exits 1 on the first mismatch.
A store whose writer holds it locked (the moment of an in-place update's
writes, when HDF5's lock keeps readers out rather than show them a half-made
file) is opened again after a pause, as a user would."""
import sys
import time
import warnings

import tables

import pandas as pd

warnings.simplefilter("ignore")


def row_at(i):
    long = "w" * (i % 700) if i % 211 == 0 else ""
    return (i, i * 0.5 - 1, f"row {i}{long}", i % 3 == 0)


args = sys.argv[1:]
for path, expected in zip(args[0::2], args[1::2]):
    expected = int(expected)
    for attempt in range(100):
        try:
            df = pd.read_hdf(path, "t")
            break
        except tables.exceptions.HDF5ExtError as error:
            if "unable to lock" not in str(error) or attempt == 99:
                raise
            time.sleep(0.02)
    if len(df) < expected:
        sys.exit(f"{path}: {len(df)} rows, expected at least {expected}")
    for i, row in enumerate(df.itertuples(index=False)):
        if (row.i, row.x, row.s, bool(row.ok)) != row_at(i):
            sys.exit(f"{path}: row {i} is {tuple(row)}, expected {row_at(i)}")
    if str(df["i"].dtype) != "int64" or str(df["ok"].dtype) != "bool":
        sys.exit(f"{path}: dtypes {dict(df.dtypes)}")
    print(path, len(df))

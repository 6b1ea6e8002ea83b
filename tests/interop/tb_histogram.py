"""tensorboardX's make_histogram, reproduced with numpy, for interop tests.

Reads {"values": [...], "bins": "tensorflow" | int | [edges], "max_bins": int|null}
from stdin and prints the HistogramProto fields as JSON.
"""

import json
import sys

import numpy as np


def default_edges():
    v, pos = 1e-12, []
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    return [-x for x in reversed(pos)] + [0] + pos


def make_histogram(values, bins, max_bins=None):
    values = values.reshape(-1)
    counts, limits = np.histogram(values, bins=bins)
    num_bins = len(counts)
    if max_bins is not None and num_bins > max_bins:
        s = num_bins // max_bins
        rem = num_bins % s
        if rem != 0:
            counts = np.pad(counts, pad_width=[[0, s - rem]], mode="constant", constant_values=0)
        counts = counts.reshape(-1, s).sum(axis=-1)
        new_limits = np.empty((counts.size + 1,), limits.dtype)
        new_limits[:-1] = limits[:-1:s]
        new_limits[-1] = limits[-1]
        limits = new_limits
    cum = np.cumsum(counts > 0)
    start, end = np.searchsorted(cum, [0, cum[-1] - 1], side="right")
    start, end = int(start), int(end) + 1
    counts = counts[start - 1:end] if start > 0 else np.concatenate([[0], counts[:end]])
    limits = limits[start:end + 1]
    return {"min": float(values.min()), "max": float(values.max()), "num": len(values),
            "sum": float(values.sum()), "sum_squares": float(values.dot(values)),
            "bucket_limit": [float(x) for x in limits], "bucket": [float(x) for x in counts]}


req = json.load(sys.stdin)
bins = req["bins"]
if bins == "tensorflow":
    bins = default_edges()
print(json.dumps(make_histogram(np.asarray(req["values"], dtype=float), bins, req.get("max_bins"))))

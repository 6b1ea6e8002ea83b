"""Pickle interop battery.

  pickle_battery.py dump   prints one JSON object per line:
                           {"name", "protocol", "b64"} for protocols 0..5
  pickle_battery.py check  reads a JSON list of {"name", "protocol", "b64"}
                           on stdin, unpickles each and compares it with the
                           battery value of that name; prints a JSON report
"""
import base64
import collections
import json
import math
import pickle
import sys

import numpy as np


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __eq__(self, other):
        return type(other) is Point and self.__dict__ == other.__dict__


def battery():
    shared = [1]
    recursive = []
    recursive.append(recursive)
    fortran = np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3))
    return {
        "none": None,
        "bools": [True, False],
        "ints": [0, 1, -1, 255, 256, 65535, 65536, -2**31, 2**31 - 1, 2**31,
                 2**53 - 1, -(2**53 - 1), 2**53, -(2**53), 2**63, 2**64,
                 -2**64, 2**200, -(2**200) + 1],
        "floats": [0.0, -0.0, 1.5, -2.25, 1e16, 1e-5, 1e308, 5e-324,
                   float("nan"), float("inf"), float("-inf"), 0.1],
        "strs": ["", "a", "\u00fcn\u00ef", "\u1234", "\U0001F600", "a\\b\nc\r\x00\x1a",
                 "\\u0041", "x" * 300, "quote'\"", "\x7f\x80\xff"],
        "bytes": [b"", b"\x00\xff", bytes(range(256)), b"y" * 70000],
        "bytearray": bytearray(b"ab\x00"),
        "tuples": ((), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), ((1,), [2])),
        "dict": {"a": 1, "b": {"c": [1, 2]}, "": None},
        "dict_mixed_keys": {1: "x", (1, 2): "y", None: 3, "s": 4},
        "dict_proto_key": {"__proto__": 1, "constructor": 2},
        "set": {1, 2, "x"},
        "frozenset": frozenset({1, 2}),
        "shared": [shared, shared],
        "recursive": recursive,
        "ordered_dict": collections.OrderedDict([("b", 1), ("a", 2)]),
        "long_list": list(range(2500)),
        "big_dict": {f"k{i}": i for i in range(1500)},
        "globals": [float, str, collections.OrderedDict, math.sqrt],
        "point": Point(1, "two"),
        "complex": 1 + 2j,
        "np_f32": np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
        "np_i64": np.array([-(2**62), 0, 2**62], dtype=np.int64),
        "np_bool": np.array([[True, False], [False, True]]),
        "np_f16": np.array([0.5, -2.0, 65504.0], dtype=np.float16),
        "np_u8": np.arange(5, dtype=np.uint8),
        "np_big_endian": np.array([1.5, -3.0], dtype=">f8"),
        "np_fortran": fortran,
        "np_0d": np.array(7.25),
        "np_c64": np.array([1 + 2j, -3j], dtype=np.complex64),
        "np_empty": np.zeros((0, 3), dtype=np.float64),
        "np_scalars": [np.float64(1.5), np.int64(2**60), np.bool_(True),
                       np.float32(0.25), np.int32(-5), np.float16(0.5)],
    }


def same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
                and a.dtype.str[1:] == b.dtype.str[1:] and a.shape == b.shape
                and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return False
        for x, y in zip(a, b):
            if x is a and y is b:
                continue  # the recursive list
            if not same(x, y):
                return False
        return True
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def main():
    values = battery()
    if sys.argv[1] == "dump":
        for name, value in values.items():
            for protocol in range(6):
                data = pickle.dumps(value, protocol=protocol)
                print(json.dumps({"name": name, "protocol": protocol,
                                  "b64": base64.b64encode(data).decode()}))
    else:
        report = {"checked": 0, "failures": []}
        for case in json.load(sys.stdin):
            try:
                got = pickle.loads(base64.b64decode(case["b64"]))
                ok = same(got, values[case["name"]])
            except Exception as e:  # report, do not stop
                got, ok = e, False
            report["checked"] += 1
            if not ok:
                report["failures"].append(
                    f'{case["name"]} protocol {case["protocol"]}: {got!r}'[:300])
            if case["name"] == "shared" and ok and got[0] is not got[1]:
                report["failures"].append("shared: the list is not shared")
        print(json.dumps(report))


if __name__ == "__main__":
    main()

"""torch.save interop.

  torch_roundtrip.py write PATH   torch.saves a battery state dict to PATH and
                                  prints its tensors as JSON (see describe)
  torch_roundtrip.py read PATH    torch.loads PATH (plain, then weights_only)
                                  and prints {"plain": ..., "weights_only": ...}
"""
import json
import sys

import torch


def battery():
    torch.manual_seed(0)
    base = torch.arange(4, dtype=torch.float32)
    return {
        "f32": torch.arange(6, dtype=torch.float32).reshape(2, 3) / 4,
        "f64": torch.tensor([1.5, -2.0, float("inf")], dtype=torch.float64),
        "i64": torch.tensor([-(2**62), 0, 2**62], dtype=torch.int64),
        "i32": torch.tensor([[1, -2], [3, 4]], dtype=torch.int32),
        "i16": torch.tensor([-300, 300], dtype=torch.int16),
        "i8": torch.tensor([-128, 127], dtype=torch.int8),
        "u8": torch.arange(5, dtype=torch.uint8),
        "b": torch.tensor([True, False, True]),
        "f16": torch.tensor([0.5, -2.0, 65504.0], dtype=torch.float16),
        "bf16": torch.tensor([1.0, -2.5], dtype=torch.bfloat16),
        "c64": torch.tensor([1 + 2j, -3j], dtype=torch.complex64),
        "nested": {"inner": {"x": torch.tensor([1.0])}},
        "transposed": torch.arange(6, dtype=torch.int64).reshape(2, 3).t(),
        "view": torch.arange(10, dtype=torch.float32)[3:7],
        "strided": torch.arange(12, dtype=torch.float64).reshape(3, 4)[:, ::2],
        "shared_a": base,
        "shared_b": base[1:],
        "expanded": torch.tensor([1.0, 2.0]).expand(3, 2),
        "scalar": torch.tensor(3.5),
        "empty": torch.zeros(0, 3),
        "model": torch.nn.Linear(3, 2).state_dict(),
    }


def describe(value, prefix=""):
    out = {}
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(describe(v, f"{prefix}{k}."))
    elif isinstance(value, torch.Tensor):
        t = value.detach()
        if t.dtype in (torch.float16, torch.bfloat16):
            values = t.float().flatten().tolist()
        elif t.dtype.is_complex:
            values = torch.view_as_real(t.contiguous()).flatten().tolist()
        else:
            values = t.flatten().tolist()
        out[prefix[:-1]] = {
            "dtype": str(t.dtype).replace("torch.", ""),
            "shape": list(t.shape),
            "values": [str(v) if isinstance(v, (int, bool)) else repr(v) for v in values],
            "contiguous": t.is_contiguous(),
        }
    else:
        out[prefix[:-1]] = {"other": repr(value)}
    return out


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "write":
        sd = battery()
        torch.save(sd, path)
        print(json.dumps(describe(sd)))
    else:
        plain = torch.load(path)
        safe = torch.load(path, weights_only=True)
        print(json.dumps({"plain": describe(plain), "weights_only": describe(safe)}))


if __name__ == "__main__":
    main()

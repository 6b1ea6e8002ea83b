# torch.save of a small state dict, and one raw deflate segment of 1 MiB of
# zeros ending in a full flush (so segments can be repeated back to back)
import sys
import zlib

import torch

torch.save({"a": torch.zeros(256), "b": torch.ones(256)}, sys.argv[1])
c = zlib.compressobj(9, zlib.DEFLATED, -15)
with open(sys.argv[2], "wb") as f:
    f.write(c.compress(bytes(1 << 20)) + c.flush(zlib.Z_FULL_FLUSH))

"""re.match of every pattern against every input, as cox's tensorboard_view
filters runs. Reads JSON {"patterns": [...], "inputs": [...]} on stdin and
prints, per pattern, a list of booleans or {"error": message}.
"""
import json
import re
import sys
import warnings

warnings.simplefilter("ignore")
spec = json.load(sys.stdin)
out = []
for p in spec["patterns"]:
    try:
        r = re.compile(p)
    except re.error as e:
        out.append({"error": str(e)})
        continue
    out.append([r.match(s) is not None for s in spec["inputs"]])
print(json.dumps(out))

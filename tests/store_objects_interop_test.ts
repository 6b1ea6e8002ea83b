// Object columns we write are read back by Python as the original cox reads
// them: pickle.loads of the base64 OBJECT cell, pickle.load of the PICKLE file,
// torch.load of the PYTORCH_STATE file.
import { join } from "node:path";
import { assertEquals } from "./assert.ts";
import { OBJECT, PICKLE, PYTORCH_STATE, Store, tuple } from "../mod.ts";
import { ignoreUnless, runPython } from "./interop/python.ts";

const MODULES = ["pandas", "tables", "torch"];

Deno.test({
  name:
    "Python reads our OBJECT, PICKLE and PYTORCH_STATE cells as cox's get_object/get_pickle/get_state_dict",
  ignore: await ignoreUnless(MODULES),
  async fn() {
    const dir = await Deno.makeTempDir();
    {
      using store = await Store.open(dir, "run");
      const t = store.addTable("objs", {
        step: "int",
        o: OBJECT,
        p: PICKLE,
        s: PYTORCH_STATE,
      });
      t.appendRow({
        step: 0,
        o: {
          lr: 0.1,
          betas: tuple(0.9, 0.99),
          name: "adam",
          big: 2n ** 70n,
          none: null,
        },
        p: [1, "two", 3.5, true, new Uint8Array([0, 255])],
        s: {
          weight: {
            dtype: "float32",
            shape: [2, 2],
            data: new Float32Array([1, 2, 3, 4]),
          },
          nested: {
            bias: {
              dtype: "int64",
              shape: [2],
              data: new BigInt64Array([-1n, 5n]),
            },
          },
        },
      });
      t.appendRow({
        step: 1,
        o: "just a string",
        p: { set: new Set([3, 1, 2]) },
        s: {
          mask: { dtype: "bool", shape: [3], data: new Uint8Array([1, 0, 1]) },
        },
      });
    }
    const rows = JSON.parse(
      await runPython(MODULES, "cox_objects.py", [join(dir, "run"), "objs"]),
    );
    assertEquals(rows, [
      {
        step: 0,
        o: {
          lr: 0.1,
          betas: [0.9, 0.99, "<tuple>"],
          name: "adam",
          big: 2 ** 70,
          none: null,
        },
        p: [1, "two", 3.5, true, { bytes: [0, 255] }],
        s: {
          weight: { dtype: "float32", shape: [2, 2], values: [1, 2, 3, 4] },
          nested: { bias: { dtype: "int64", shape: [2], values: [-1, 5] } },
        },
      },
      {
        step: 1,
        o: "just a string",
        p: { set: [1, 2, 3] },
        s: { mask: { dtype: "bool", shape: [3], values: [true, false, true] } },
      },
    ]);
  },
});

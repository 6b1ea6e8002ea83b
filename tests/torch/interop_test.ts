import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { readStateDict, writeStateDict } from "../../src/torch/mod.ts";
import type { Tensor } from "../../src/tensor.ts";
import { ignoreUnless, runPython } from "../interop/python.ts";
import { describe, withoutContiguous } from "./describe.ts";

const MODULES = ["torch"];
const ignore = await ignoreUnless(MODULES);

Deno.test({
  name:
    "interop: state dicts torch.save wrote read equal (dtypes, strides, views)",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/py.pt`;
      const expected = JSON.parse(
        await runPython(MODULES, "torch_roundtrip.py", ["write", path]),
      );
      // the battery has non-contiguous tensors, so gathering is exercised
      strictEqual(expected.transposed.contiguous, false);
      strictEqual(expected.strided.contiguous, false);
      const sd = readStateDict(await Deno.readFile(path));
      deepStrictEqual(describe(sd), withoutContiguous(expected));
      const t = sd.transposed as Tensor;
      deepStrictEqual([...t.data as BigInt64Array], [0n, 3n, 1n, 4n, 2n, 5n]);
      deepStrictEqual(t.shape, [3, 2]);
      deepStrictEqual([...(sd.view as Tensor).data], [3, 4, 5, 6]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

const f32 = (shape: number[], xs: number[]): Tensor => ({
  dtype: "float32",
  shape,
  data: new Float32Array(xs),
});

function ours() {
  return {
    weight: f32([2, 3], [0.5, -1, 2, 3.25, 1e-3, -0]),
    bias: {
      dtype: "float64",
      shape: [2],
      data: new Float64Array([1 / 3, NaN]),
    },
    steps: {
      dtype: "int64",
      shape: [2],
      data: new BigInt64Array([-(2n ** 62n), 7n]),
    },
    i32: { dtype: "int32", shape: [1, 2], data: new Int32Array([-5, 6]) },
    u8: { dtype: "uint8", shape: [3], data: new Uint8Array([0, 128, 255]) },
    mask: { dtype: "bool", shape: [2, 2], data: new Uint8Array([1, 0, 0, 1]) },
    half: {
      dtype: "float16",
      shape: [2],
      data: new Uint16Array([0x3c00, 0xc000]),
    },
    bf: { dtype: "bfloat16", shape: [1], data: new Uint16Array([0x3fc0]) },
    scalar: { dtype: "float32", shape: [], data: new Float32Array([2.5]) },
    empty: { dtype: "float32", shape: [0, 4], data: new Float32Array(0) },
    nested: { layer: { w: f32([1], [4]) } },
  } as const;
}

Deno.test({
  name:
    "interop: torch.load (plain and weights_only) reads our state dicts equal",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/ours.pt`;
      const sd = ours() as unknown as Record<string, Tensor>;
      await Deno.writeFile(path, writeStateDict(sd));
      const got = JSON.parse(
        await runPython(MODULES, "torch_roundtrip.py", ["read", path]),
      );
      const want = describe(sd);
      strictEqual(Object.keys(want).length, 11);
      deepStrictEqual(withoutContiguous(got.plain), want);
      deepStrictEqual(withoutContiguous(got.weights_only), want);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

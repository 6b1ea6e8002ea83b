/** Our side of tests/interop/torch_roundtrip.py's `describe`: tensors flattened to Python reprs. */
import { floatRepr, halfToNumber, isTensor } from "../../src/pickle/mod.ts";
import type { Tensor } from "../../src/tensor.ts";

export interface Described {
  dtype: string;
  shape: number[];
  values: string[];
}

function values(t: Tensor): string[] {
  const out: string[] = [];
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (let i = 0; i < t.data.length; i++) {
    const x = t.data[i];
    switch (t.dtype) {
      case "bool":
        out.push(x ? "True" : "False");
        break;
      case "float16":
        out.push(floatRepr(halfToNumber(x as number)));
        break;
      case "bfloat16":
        u32[0] = (x as number) << 16;
        out.push(floatRepr(f32[0]));
        break;
      case "float32":
      case "float64":
      case "complex64":
      case "complex128":
        out.push(floatRepr(x as number));
        break;
      default:
        out.push(String(x));
    }
  }
  return out;
}

export function describe(
  value: unknown,
  prefix = "",
  out: Record<string, Described | { other: string }> = {},
): Record<string, Described | { other: string }> {
  if (isTensor(value)) {
    out[prefix.slice(0, -1)] = {
      dtype: value.dtype,
      shape: value.shape,
      values: values(value),
    };
  } else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      describe(v, `${prefix}${k}.`, out);
    }
  } else {
    out[prefix.slice(0, -1)] = { other: String(value) };
  }
  return out;
}

/** Drops Python's `contiguous` flags, which our tensors (always row-major) do not have. */
export function withoutContiguous(
  d: Record<string, Record<string, unknown>>,
): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [k, v] of Object.entries(d)) {
    const { contiguous: _, ...rest } = v;
    out[k] = rest;
  }
  return out;
}

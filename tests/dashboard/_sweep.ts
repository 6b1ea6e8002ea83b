// Sweeps for the dashboard's tests and benchmark, written with our Store.

import { Store } from "../../mod.ts";

const OPTIMIZERS = ["adam", "sgd", "rmsprop"];

/** The metadata of run `i` of a generated sweep. */
export function runParams(
  i: number,
): { lr: number; opt: string; seed: number } {
  return { lr: 10 ** -(1 + (i % 5)), opt: OPTIMIZERS[i % 3], seed: i };
}

/** The loss of run `i` at step `s`. */
export function lossAt(i: number, s: number): number {
  return 1 / (1 + s * (1 + (i % 7))) + ((i * 31 + s * 17) % 13) / 1000;
}

/** Writes `runs` runs of `rows` log rows each (run ids `run-0000`...), optionally with TensorBoard scalars. */
export async function writeSweep(
  dir: string,
  runs: number,
  rows: number,
  options: { tensorboard?: boolean } = {},
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < runs; i++) {
    const id = `run-${String(i).padStart(4, "0")}`;
    ids.push(id);
    using store = await Store.open(dir, id, { new: true });
    store.addTable("metadata", { lr: "float", opt: "str", seed: "int" })
      .appendRow(runParams(i));
    const log = store.addTable("log", {
      step: "int",
      loss: "float",
      acc: "float",
    });
    for (let s = 0; s < rows; s++) {
      log.appendRow({ step: s, loss: lossAt(i, s), acc: 1 - lossAt(i, s) });
    }
    if (options.tensorboard) {
      for (let s = 0; s < rows; s++) {
        store.tensorboard.addScalar("train/loss", lossAt(i, s), s);
      }
    }
  }
  return ids;
}

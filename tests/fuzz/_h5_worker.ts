// Runs a batch of mutated stores through the readers, one JSON line per case.
// Usage: deno run -A _h5_worker.ts <seed> <first> <count> <budget-ms> <tmp-dir>
// It runs as a subprocess so that a hang or a wasm trap cannot take the
// test runner down; the parent kills it after a time limit.
import { join } from "node:path";
import {
  CollectionReader,
  PICKLE,
  setWarningSink,
  Store,
  StoreFileError,
} from "../../mod.ts";
import { FIXTURES } from "../fixtures.ts";
import {
  below,
  caseSeed,
  flipBits,
  hotOffsets,
  HUGE,
  putU64,
  randomBytes,
  rng,
  signatures,
} from "./_mutate.ts";

export interface CaseResult {
  index: number;
  source: string;
  mutation: string;
  outcome: "read" | "refused" | "bad";
  detail?: string;
  ms: number;
}

interface Source {
  name: string;
  bytes: Uint8Array;
  objects?: string;
  hot: number[];
  sigs: number[];
}

function source(name: string, path: string, objects?: string): Source {
  const bytes = Deno.readFileSync(path);
  return {
    name,
    bytes,
    objects,
    hot: hotOffsets(bytes),
    sigs: signatures(bytes, ["TREE", "HEAP", "SNOD"]),
  };
}

/** A store we write: every stored kind, two tables, a PICKLE column. */
export async function writtenStore(dir: string): Promise<string> {
  const store = await Store.open(dir, "written");
  const log = store.addTable("log", {
    step: "int",
    loss: "float",
    note: "str",
    ok: "bool",
    blob: PICKLE,
  });
  for (let i = 0; i < 5; i++) {
    log.appendRow({
      step: i,
      loss: 1 / (i + 1),
      note: `row ${i}`,
      ok: i % 2 === 0,
      blob: [i, "x"],
    });
  }
  store.addTable("metadata", { lr: "float" }).appendRow({ lr: 0.1 });
  store.close();
  return join(dir, "written");
}

/** Mutates `src` as case rng `r` says; returns the bytes and a description. */
export function mutateStore(
  src: Source,
  r: () => number,
): { bytes: Uint8Array; mutation: string } {
  const b = src.bytes.slice();
  const hot = () => src.hot[below(r, src.hot.length)];
  switch (below(r, 9)) {
    case 0: {
      const at = r() < 0.5 ? below(r, 8192) : below(r, b.length);
      return { bytes: b.subarray(0, at), mutation: `truncate@${at}` };
    }
    case 1: {
      const at = hot();
      const n = 1 + below(r, 512);
      b.fill(0, at, at + n);
      return { bytes: b, mutation: `zero@${at}+${n}` };
    }
    case 2: {
      const n = 1 + below(r, 8);
      flipBits(b, r, hot, n);
      return { bytes: b, mutation: `flip-hot x${n}` };
    }
    case 3: {
      const n = 1 + below(r, 4);
      for (let k = 0; k < n; k++) b[hot()] = below(r, 256);
      return { bytes: b, mutation: `byte-hot x${n}` };
    }
    case 4: {
      const base = src.sigs[below(r, src.sigs.length)] ?? 0;
      const n = 1 + below(r, 4);
      for (let k = 0; k < n; k++) {
        const at = Math.max(0, base + below(r, 96) - 8);
        if (at < b.length) b[at] ^= 1 << below(r, 8);
      }
      return { bytes: b, mutation: `flip-near-signature@${base} x${n}` };
    }
    case 5: {
      const n = 1 + below(r, 3);
      flipBits(b, r, () => below(r, 96), n);
      return { bytes: b, mutation: `flip-superblock x${n}` };
    }
    case 6: {
      const at = hot() & ~7;
      const v = HUGE[below(r, HUGE.length)];
      putU64(b, at, v);
      return { bytes: b, mutation: `huge@${at}=${v}` };
    }
    case 7: {
      const n = 64 + below(r, 4096);
      const out = randomBytes(r, n);
      out.set([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
      if (r() < 0.5) out.set(src.bytes.subarray(0, Math.min(n, 96)));
      return { bytes: out, mutation: `random-with-signature ${n}` };
    }
    default: {
      const at = hot();
      const n = 1 + below(r, 64);
      b.set(randomBytes(r, Math.min(n, b.length - at)), at);
      return { bytes: b, mutation: `random-run@${at}+${n}` };
    }
  }
}

function causes(error: unknown): unknown[] {
  const out: unknown[] = [];
  for (
    let e = error;
    e !== undefined && out.length < 10;
    e = (e as Error)?.cause
  ) {
    out.push(e);
  }
  return out;
}

/** Whether `error` is one of ours: StoreFileError, or a Type/Range/SyntaxError naming `file`. */
export function isOurError(error: unknown, file: string): boolean {
  if (causes(error).some((e) => e instanceof WebAssembly.RuntimeError)) {
    return false;
  }
  if (error instanceof StoreFileError) return true;
  return (error instanceof TypeError || error instanceof RangeError ||
    error instanceof SyntaxError) && error.message.includes(file);
}

function describe(error: unknown): string {
  return causes(error).map((e) =>
    `${(e as Error)?.constructor?.name}: ${
      String((e as Error)?.message).slice(0, 300)
    }`
  ).join(" <- ");
}

/** Reads a run folder every way a user would; throws what the readers throw. */
export async function readRun(storage: string, expId: string): Promise<void> {
  const store = await Store.open(storage, expId, { mode: "r" });
  try {
    for (const table of store.tables.values()) {
      table.rows();
    }
  } finally {
    store.close();
  }
  const reader = await CollectionReader.open(storage, {
    skipErrors: true,
    progress: false,
  });
  try {
    for (const name of reader.tables) {
      reader.df(name, { skipErrors: true, unionSchemas: true });
    }
  } finally {
    reader.close();
  }
}

/** Reads one case's run folder and classifies the outcome. */
export async function runCase(
  storage: string,
  expId: string,
): Promise<{ outcome: CaseResult["outcome"]; detail?: string }> {
  const file = join(storage, expId, "store.h5");
  try {
    await readRun(storage, expId);
    return { outcome: "read" };
  } catch (error) {
    return isOurError(error, file)
      ? { outcome: "refused", detail: (error as Error).message.slice(0, 200) }
      : { outcome: "bad", detail: describe(error) };
  }
}

if (import.meta.main) {
  const [seed, first, count, budget] = Deno.args.slice(0, 4).map(Number);
  const tmp = Deno.args[4];
  setWarningSink(() => {});
  const types = join(FIXTURES, "types", "all-types");
  const written = await writtenStore(join(tmp, "seed"));
  const sources = [
    source(
      "walkthrough1/17eb970f",
      join(
        FIXTURES,
        "walkthrough1/17eb970f-c58e-40d0-801b-b2c6b9d5d6fc/store.h5",
      ),
    ),
    source(
      "walkthrough1/d35b0e63",
      join(
        FIXTURES,
        "walkthrough1/d35b0e63-6620-4f04-b83b-666ed6d18b7b/store.h5",
      ),
    ),
    source(
      "types/all-types",
      join(types, "store.h5"),
      join(types, ".table_objects"),
    ),
    source(
      "written",
      join(written, "store.h5"),
      join(written, ".table_objects"),
    ),
  ];
  const deadline = performance.now() + budget;
  const out = (line: unknown) =>
    Deno.stdout.writeSync(
      new TextEncoder().encode(JSON.stringify(line) + "\n"),
    );
  for (let index = first; index < first + count; index++) {
    if (performance.now() > deadline) break;
    const r = rng(caseSeed(seed, index));
    const src = sources[below(r, sources.length)];
    const { bytes, mutation } = mutateStore(src, r);
    // a fresh folder (a fresh inode) per case: HDF5 shares open files by inode
    const storage = join(tmp, `case-${index}`);
    Deno.mkdirSync(join(storage, "run"), { recursive: true });
    Deno.writeFileSync(join(storage, "run", "store.h5"), bytes);
    if (src.objects) {
      Deno.symlinkSync(src.objects, join(storage, "run", ".table_objects"));
    }
    out({ start: index, source: src.name, mutation });
    const t0 = performance.now();
    const result = await runCase(storage, "run");
    out(
      {
        index,
        source: src.name,
        mutation,
        ...result,
        ms: Math.round(performance.now() - t0),
      } satisfies CaseResult,
    );
  }
  // the good stores still read after the hostile ones
  const after = await runCase(
    join(FIXTURES, "walkthrough1"),
    "17eb970f-c58e-40d0-801b-b2c6b9d5d6fc",
  );
  const afterWritten = await runCase(join(tmp, "seed"), "written");
  out({
    after: after.outcome,
    afterWritten: afterWritten.outcome,
    detail: after.detail ?? afterWritten.detail,
  });
}

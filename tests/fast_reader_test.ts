// The fast reader (src/h5/fast/) against h5wasm on every fixture, on our
// writer's outputs and on pandas-written stores; silent fallback; stores that
// reach outside their file (built with h5py) refused when reading and writing.
import { join } from "node:path";
import { CollectionReader, Store, StoreFileError } from "../mod.ts";
import { describeFrameTable, readColumns } from "../src/h5/frame_table.ts";
import { loadH5 } from "../src/h5/h5wasm.ts";
import { withHdf5 } from "../src/h5/store_file.ts";
import { prepareRead, withTableFile } from "../src/h5/table_file.ts";
import { assertEquals, assertOk, assertRejects } from "./assert.ts";
import { repack } from "./h5repack.ts";
import { FIXTURES } from "./fixtures.ts";
import { ignoreUnless, runPython } from "./interop/python.ts";
import { quietly } from "./warnings.ts";

function storesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(...storesUnder(path));
    else if (entry.name.endsWith(".h5")) out.push(path);
  }
  return out.sort();
}

/** What each reader reads of every table of a file: keys, layouts and cells. */
async function both(path: string): Promise<{ fast: unknown; h5: unknown }> {
  await loadH5();
  await prepareRead(path);
  const fast = withTableFile(path, (file) => {
    assertEquals(file.reader, "fast", `${path} fell back to h5wasm`);
    return file.keys().map((key) => {
      const layout = file.describe(key);
      const half = Math.floor(layout.nrows / 2);
      return {
        key,
        layout,
        cells: file.readColumns(layout),
        range: file.readColumns(layout, half, layout.nrows - half),
      };
    });
  });
  const h5 = withHdf5(path, "r", (file) =>
    file.keys().sort().map((key) => {
      const layout = describeFrameTable(file, key);
      const half = Math.floor(layout.nrows / 2);
      return {
        key,
        layout,
        cells: readColumns(file, layout),
        range: readColumns(file, layout, half, layout.nrows - half),
      };
    }));
  return { fast, h5 };
}

Deno.test("the fast reader reads every fixture store as h5wasm does (layouts, cells, row ranges)", async () => {
  const stores = storesUnder(FIXTURES);
  assertOk(stores.length >= 10, `${stores.length} stores`);
  for (const path of stores) {
    const { fast, h5 } = await both(path);
    assertEquals(fast, h5, path);
  }
});

Deno.test("the fast reader reads our writer's stores as h5wasm does, every kind and width", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cox-fast-" });
  {
    using store = await Store.open(dir, "run");
    const t = store.addTable("mixed", {
      f: "float",
      i: "int",
      b: "bool",
      s: "str",
    });
    for (let r = 0; r < 3000; r++) {
      t.appendRow({
        f: r / 7,
        i: r % 2 ? -(2 ** 53) + r : 2 ** 40 + r,
        b: r % 3 === 0,
        s: r % 5 ? `row ${r} ünï` : "x".repeat(200),
      });
    }
    store.addTable("one", { v: "float" }).appendRow({ v: Math.PI });
    for (let k = 0; k < 12; k++) {
      store.addTable(`t${k}`, { k: "int" }).appendRow({ k });
    }
  }
  const path = join(dir, "run", "store.h5");
  const { fast, h5 } = await both(path);
  assertEquals(fast, h5);
  assertEquals((fast as { key: string }[]).length, 14);
});

const ignorePandas = await ignoreUnless(["pandas", "tables", "h5py"]);

Deno.test({
  name:
    "pandas-written sweeps (values blocks, index, zlib) read by the fast path as h5wasm reads them",
  ignore: ignorePandas,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "cox-fast-py-" });
    await runPython(["pandas", "tables"], "../../bench/cox_sweep.py", [
      "write",
      dir,
      "3",
      "5000",
    ]);
    for (const path of storesUnder(dir)) {
      const { fast, h5 } = await both(path);
      assertEquals(fast, h5, path);
    }
    const zlib = join(dir, "zlib.h5");
    await runPython(["pandas", "tables"], "../../bench/cox_sweep.py", [
      "write",
      join(dir, "z"),
      "1",
      "3000",
    ]);
    await repack(storesUnder(join(dir, "z"))[0], zlib, "GZIP=6");
    const { fast, h5 } = await both(zlib);
    assertEquals(fast, h5, zlib);
  },
});

Deno.test({
  name:
    "a store the fast reader does not handle (nbit filter) is read by h5wasm, silently, with the same cells",
  ignore: ignorePandas,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "cox-fast-nbit-" });
    await runPython(["pandas", "tables"], "../../bench/cox_sweep.py", [
      "write",
      dir,
      "1",
      "100",
    ]);
    const [plain] = storesUnder(dir);
    const run = plain.split("/").at(-2)!;
    Deno.mkdirSync(join(dir, "nbit"));
    await repack(plain, join(dir, "nbit", "store.h5"), "/log/table:NBIT");
    const { value, warnings } = await quietly(async () => {
      using reader = await CollectionReader.open(dir, { progress: false });
      return reader.df("log").objects();
    });
    assertEquals(warnings, []);
    const rows = value as Record<string, unknown>[];
    const of = (id: string) =>
      rows.filter((r) => r.exp_id === id).map((r) => ({
        ...r,
        exp_id: undefined,
      }));
    assertEquals(of("nbit").length, 100);
    assertEquals(of("nbit"), of(run));
    const reader = await withTableFile(
      join(dir, "nbit", "store.h5"),
      (f) => f.reader,
    );
    assertEquals(reader, "h5wasm");
  },
});

Deno.test({
  name:
    "pandas stores compressed with blosc (blosclz, lz4, zstd) and bzip2 read through h5wasm-plugins equal to pandas; lzo and blosc's zlib codec are errors naming the filter and the file",
  ignore: ignorePandas,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "cox-fast-c-" });
    const python = `
import sys, json, warnings, pandas as pd, numpy as np
warnings.simplefilter("ignore")
n = 3000
df = pd.DataFrame({"a": np.arange(n) / 7.0, "b": np.arange(n) * 3, "s": ["x%d" % (i % 17) for i in range(n)]})
with pd.HDFStore(sys.argv[1], mode="w", complib=sys.argv[2], complevel=5) as s:
    s.append("log", df, format="table")
    s.get_storer("log").attrs["COX_DATA"] = {"schema": {"a": float, "b": int, "s": str}, "name": "log"}
with pd.HDFStore(sys.argv[1], mode="r") as s:
    back = s["log"]
print(json.dumps({"a": back["a"].tolist(), "b": back["b"].tolist(), "s": back["s"].tolist()}))
`;
    const script = join(dir, "compressed.py");
    Deno.writeTextFileSync(script, python);
    const complibs = [
      "blosc",
      "blosc:lz4",
      "blosc:zstd",
      "bzip2",
      "lzo",
      "blosc:zlib",
    ];
    for (const complib of complibs) {
      const id = complib.replace(":", "-");
      Deno.mkdirSync(join(dir, id));
      const path = join(dir, id, "store.h5");
      const out = await new Deno.Command("/usr/bin/python3", {
        args: [script, path, complib],
      }).output();
      assertOk(out.success, new TextDecoder().decode(out.stderr));
      const pandas = JSON.parse(new TextDecoder().decode(out.stdout));
      using store = await Store.open(dir, id, { mode: "r" });
      if (complib === "lzo" || complib === "blosc:zlib") {
        let message = "";
        try {
          store.table("log").rows();
        } catch (error) {
          message = (error as Error).message;
        }
        const filter = complib === "lzo" ? "lzo" : "zlib codec";
        assertOk(message.includes(filter) && message.includes(path), message);
        continue;
      }
      const rows = store.table("log").rows() as Record<string, unknown>[];
      assertEquals(rows.map((r) => r.a), pandas.a, complib);
      assertEquals(rows.map((r) => r.b), pandas.b, complib);
      assertEquals(rows.map((r) => r.s), pandas.s, complib);
      const reader = withTableFile(path, (f) => f.reader);
      assertEquals(reader, "h5wasm", complib);
    }
  },
});

for (const kind of ["storage", "link", "virtual"] as const) {
  Deno.test({
    name: `a store whose log ${
      {
        storage: "keeps its rows in an external file",
        link: "is an external link",
        virtual: "is a virtual dataset",
      }[kind]
    } is refused, reading and writing, and the other file is untouched`,
    ignore: ignorePandas,
    async fn() {
      const storage = await Deno.makeTempDir({ prefix: `cox-ext-${kind}-` });
      const outside = await Deno.makeTempDir({ prefix: "cox-outside-" });
      for (const id of ["good", "bad"]) {
        using store = await Store.open(storage, id);
        const log = store.addTable("log", { step: "int", loss: "float" });
        for (let i = 0; i < 10; i++) log.appendRow({ step: i, loss: i / 10 });
      }
      const bad = join(storage, "bad", "store.h5");
      await runPython(["h5py"], "h5_external.py", [kind, bad, outside]);
      const snapshot = () =>
        Object.fromEntries(
          [...Deno.readDirSync(outside)].map((e) => [
            e.name,
            Deno.readFileSync(join(outside, e.name)),
          ]),
        );
      const before = snapshot();
      assertOk(Object.keys(before).length === 1);
      for (const mode of ["r", "a"] as const) {
        await assertRejects(
          async () => {
            using store = await Store.open(storage, "bad", { mode });
            if (mode === "a") {
              store.table("log").appendRow({ step: 99, loss: 9 });
            }
            store.table("log").rows();
          },
          StoreFileError,
          bad,
          "must not name other files",
        );
      }
      const { value, warnings } = await quietly(async () => {
        using reader = await CollectionReader.open(storage, {
          skipErrors: true,
          progress: false,
        });
        return reader.df("log").numRows();
      });
      assertEquals(value, 10);
      assertOk(
        warnings.some((w) => w.includes("bad") && w.includes("other files")),
        warnings.join("\n"),
      );
      assertEquals(snapshot(), before);
    },
  });
}

Deno.test("a store changed in place within its mtime's tick (same size, same mtime) is read afresh, not from what was learnt of it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cox-fast-racy-" });
  for (const n of [10, 11]) {
    using store = await Store.open(dir, `rows-${n}`);
    const t = store.addTable("t", { i: "int" });
    for (let i = 0; i < n; i++) t.appendRow({ i });
  }
  const ten = Deno.readFileSync(join(dir, "rows-10", "store.h5"));
  const eleven = Deno.readFileSync(join(dir, "rows-11", "store.h5"));
  assertEquals(ten.length, eleven.length, "the test needs equal sizes");
  const path = join(dir, "rows-10", "store.h5");
  const read = async () => {
    using store = await Store.open(dir, "rows-10", { mode: "r" });
    return (store.table("t").rows() as { i: number }[]).map((r) => r.i);
  };
  assertEquals((await read()).length, 10);
  // an update in place within the same tick: same inode, size and mtime
  const { mtime, atime } = Deno.statSync(path);
  using file = Deno.openSync(path, { write: true });
  file.writeSync(eleven);
  Deno.utimeSync(path, atime!, mtime!);
  assertEquals(Deno.statSync(path).mtime, mtime);
  assertEquals(await read(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

Deno.test("rows at the end of a table whose chunk B-tree has many nodes read right from a fresh open (a child's last chunk may start at the key after it)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cox-fast-btree-" });
  const n = 300_000;
  using store = await Store.open(dir, "run");
  const log = store.addTable("log", { loss: "float", tag: "str" });
  log.appendRow({ loss: 1, tag: "first" });
  store.flush();
  log.appendColumns({
    loss: Float64Array.from({ length: n }, (_, i) => i / 4),
    tag: Array.from({ length: n }, (_, i) => `run-${i}`),
  });
  // read while the writer holds the run: nothing learnt at a write is
  // reused, and a fresh open reads the index only down the branches
  // holding the rows asked for
  for (const [start, stop] of [[n - 2, n + 1], [0, 2], [n / 2, n / 2 + 1]]) {
    using reader = await Store.open(dir, "run", { mode: "r" });
    const rows = reader.table("log").rows({ start, stop });
    assertEquals(
      rows,
      Array.from({ length: stop - start }, (_, k) => {
        const i = start + k;
        return i === 0
          ? { loss: 1, tag: "first" }
          : { loss: (i - 1) / 4, tag: `run-${i - 1}` };
      }),
    );
  }
});

// Hand-made hostile HDF5 files: valid HDF5 that is not a cox store, absurd
// sizes, and the process-wide guard after a wasm trap.
import { join } from "node:path";
import {
  CollectionReader,
  setWarningSink,
  Store,
  StoreFileError,
} from "../../mod.ts";
import { AttributeWriter } from "../../src/h5/attributes.ts";
import { H5Api, type H5Group, loadH5 } from "../../src/h5/h5wasm.ts";
import { assertEquals, assertOk, assertRejects } from "../assert.ts";
import { randomBytes, rng } from "./_mutate.ts";
import { readRun } from "./_h5_worker.ts";

async function runDir(): Promise<{ storage: string; file: string }> {
  const storage = await Deno.makeTempDir({ prefix: "cox-hostile-" });
  await Deno.mkdir(join(storage, "run"));
  return { storage, file: join(storage, "run", "store.h5") };
}

async function writtenRun(): Promise<{ storage: string; file: string }> {
  const storage = await Deno.makeTempDir({ prefix: "cox-hostile-" });
  const store = await Store.open(storage, "run");
  store.addTable("log", { step: "int", loss: "float" }).appendRow({
    step: 1,
    loss: 0.5,
  });
  store.close();
  return { storage, file: join(storage, "run", "store.h5") };
}

function edit(
  file: string,
  body: (f: InstanceType<typeof H5Api.File>) => void,
) {
  const f = new H5Api.File(file, "a");
  try {
    body(f);
  } finally {
    f.close();
  }
}

Deno.test("a table whose extent claims 2^40 rows is refused before allocating", async () => {
  const { storage, file } = await writtenRun();
  await loadH5();
  edit(file, (f) => {
    (f.get("/log/table") as { resize(s: number[]): void }).resize([2 ** 40]);
    new AttributeWriter(f, "/log/table").int("NROWS", 2 ** 40);
  });
  const t0 = performance.now();
  await assertRejects(
    () => readRun(storage, "run"),
    RangeError,
    file,
    `table "log"`,
    "1099511627776 rows",
  );
  const warnings: string[] = [];
  const previous = setWarningSink((m) => warnings.push(m));
  try {
    using reader = await CollectionReader.open(storage, {
      skipErrors: true,
      progress: false,
    });
    assertEquals(reader.df("log", { skipErrors: true }).numRows(), 0);
    assertOk(
      warnings.some((w) => w.includes("claims") && w.includes("run")),
      warnings.join("\n"),
    );
  } finally {
    setWarningSink(previous);
  }
  assertOk(performance.now() - t0 < 2000);
});

Deno.test("an NROWS above the extent falls back to the extent", async () => {
  const { storage, file } = await writtenRun();
  edit(file, (f) => new AttributeWriter(f, "/log/table").int("NROWS", 2 ** 40));
  using store = await Store.open(storage, "run", { mode: "r" });
  assertEquals(store.table("log").rows().length, 1);
});

Deno.test("random bytes behind an HDF5 signature are refused with StoreFileError", async () => {
  const { storage, file } = await runDir();
  const r = rng(99);
  for (const n of [8, 9, 64, 512, 4096, 70000]) {
    const bytes = randomBytes(r, n);
    bytes.set([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
    await Deno.remove(file).catch(() => {});
    await Deno.writeFile(file, bytes);
    await assertRejects(
      () => readRun(storage, "run"),
      StoreFileError,
      file,
    );
  }
});

Deno.test("an HDF5 file with plain datasets and groups reads as a store without tables", async () => {
  const { storage, file } = await runDir();
  await loadH5();
  const f = new H5Api.File(file, "w");
  f.create_dataset({ name: "x", data: new Float64Array([1, 2, 3]) });
  f.create_group("g");
  (f.get("g") as H5Group).create_dataset({
    name: "table",
    data: new Int32Array([1]),
  });
  f.close();
  using store = await Store.open(storage, "run", { mode: "r" });
  assertEquals(store.tables.size, 0);
});

Deno.test("a frame_table group with a garbage COX_DATA pickle is refused with StoreFileError", async () => {
  const { storage, file } = await runDir();
  await loadH5();
  const f = new H5Api.File(file, "w");
  f.create_group("t");
  new AttributeWriter(f, "/t", true)
    .string("pandas_type", "frame_table")
    .string("COX_DATA", "(garbage\x00\xff");
  f.close();
  await assertRejects(
    () => readRun(storage, "run"),
    StoreFileError,
    file,
    "COX_DATA",
    "not a valid pickle",
  );
});

Deno.test("a COX_DATA that is not a dict is refused with StoreFileError", async () => {
  const { storage, file } = await writtenRun();
  edit(file, (f) => new AttributeWriter(f, "/log").pickled("COX_DATA", [1, 2]));
  await assertRejects(
    () => readRun(storage, "run"),
    StoreFileError,
    file,
    "schema dict",
  );
});

Deno.test("a frame_table whose table is not compound is refused with a TypeError", async () => {
  const { storage, file } = await writtenRun();
  edit(file, (f) => {
    f.create_group("plain");
    (f.get("plain") as H5Group).create_dataset({
      name: "table",
      data: new Float64Array([1, 2]),
    });
    new AttributeWriter(f, "/plain", true)
      .string("pandas_type", "frame_table")
      .pickled("COX_DATA", { schema: { x: "float" }, name: "plain" });
  });
  await assertRejects(
    () => readRun(storage, "run"),
    TypeError,
    file,
    "compound",
  );
});

Deno.test("after a wasm trap, HDF5 is refused for the rest of the process; the fast reader still reads", async () => {
  const { storage } = await writtenRun();
  const h5 = new URL("../../src/h5/h5wasm.ts", import.meta.url).href;
  const store = new URL("../../src/run/store.ts", import.meta.url).href;
  const code = `
    import { noteTrap } from "${h5}";
    import { Store } from "${store}";
    const s = await Store.open(${
    JSON.stringify(storage)
  }, "run", { mode: "r" });
    s.close();
    noteTrap("/x/store.h5", new Error("wrapped", { cause: new WebAssembly.RuntimeError("memory access out of bounds") }));
    (await Store.open(${
    JSON.stringify(storage)
  }, "run", { mode: "r" })).close();
    try {
      await Store.open(${JSON.stringify(storage)}, "run", { mode: "a" });
      console.log("opened");
    } catch (e) {
      console.log(e.name + ": " + e.message);
    }`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assertOk(out.success, new TextDecoder().decode(out.stderr));
  assertOk(
    text.startsWith("StoreFileError: ") &&
      text.includes("crashed earlier in this process") &&
      text.includes("memory access out of bounds, reading /x/store.h5"),
    text,
  );
});

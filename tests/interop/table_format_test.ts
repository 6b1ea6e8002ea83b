// The table format of store.h5 against real pandas/PyTables: wide tables in
// pandas' value-blocks layout, numpy schema types, nested table names, other
// objects kept, PyTables indexes after our appends, "nan" strings, and names
// and values refused up front. Every store starts from what pandas wrote in
// the test, or is checked by what pandas reads.
import { join } from "node:path";
import { assertEquals, assertOk, assertThrows } from "../assert.ts";
import { Store, StoreFileError } from "../../mod.ts";
import { ignoreUnless, runPython } from "./python.ts";
import { quietly } from "../warnings.ts";

const MODULES = ["pandas", "tables", "numpy"];
const ignore = await ignoreUnless(MODULES);

interface PandasObject {
  columns: string[];
  dtypes: Record<string, string>;
  index: number[];
  rows: unknown[][];
  cox: { name: string; schema: Record<string, string> } | null;
}

async function pandasRead(path: string): Promise<Record<string, PandasObject>> {
  return JSON.parse(
    await runPython(MODULES, "table_format.py", ["read", path]),
  );
}

function py(command: string, args: string[], stdin?: unknown) {
  return runPython(
    MODULES,
    "table_format.py",
    [command, ...args],
    stdin === undefined ? undefined : JSON.stringify(stdin),
  );
}

async function newRun(): Promise<{ dir: string; store: string }> {
  const dir = await Deno.makeTempDir({ prefix: "cox-format-" });
  await Deno.mkdir(join(dir, "run"));
  return { dir, store: join(dir, "run", "store.h5") };
}

Deno.test({
  name: "3000 float columns and mixed columns named with / are read by pandas",
  ignore,
  async fn() {
    const { dir, store: path } = await newRun();
    {
      using store = await Store.open(dir, "run");
      const wide: Record<string, "float"> = {};
      for (let i = 0; i < 3000; i++) wide[`class_${i}/acc`] = "float";
      const t = store.addTable("wide", wide);
      for (let r = 0; r < 2; r++) {
        const row: Record<string, number> = {};
        for (let i = 0; i < 3000; i++) row[`class_${i}/acc`] = r + i / 4;
        t.appendRow(row);
      }
      const mixed = store.addTable("mixed", {
        "train/loss": "float",
        "n/steps": "int",
        "ok/flag": "bool",
        "tag/name": "str",
      });
      mixed.appendRow({
        "train/loss": 0.5,
        "n/steps": 2n ** 60n,
        "ok/flag": true,
        "tag/name": "héllo",
      });
      mixed.appendRow({
        "train/loss": -1,
        "n/steps": -3,
        "ok/flag": false,
        "tag/name": "",
      });
    }
    const got = await pandasRead(path);
    const wide = got["wide"];
    assertEquals(wide.columns.length, 3000);
    assertEquals(wide.columns.slice(0, 2), ["class_0/acc", "class_1/acc"]);
    assertEquals(wide.columns[2999], "class_2999/acc");
    assertEquals(new Set(Object.values(wide.dtypes)), new Set(["float64"]));
    assertEquals(wide.index, [0, 1]);
    assertEquals(wide.rows[1][0], 1);
    assertEquals(wide.rows[1][2999], 1 + 2999 / 4);
    assertEquals(got["mixed"].columns, [
      "train/loss",
      "n/steps",
      "ok/flag",
      "tag/name",
    ]);
    assertEquals(got["mixed"].dtypes, {
      "train/loss": "float64",
      "n/steps": "int64",
      "ok/flag": "bool",
      "tag/name": "object",
    });
    assertEquals(got["mixed"].rows, [
      [0.5, String(2n ** 60n), true, "héllo"],
      [-1, "-3", false, ""],
    ]);
    // Python cox appends to our wide-named table, and we read its row after ours
    await py("append", [path, "mixed"], [{
      "train/loss": 2.5,
      "n/steps": 7,
      "ok/flag": true,
      "tag/name": "py",
    }]);
    using again = await Store.open(dir, "run", { mode: "r" });
    assertEquals(again.table("mixed").columns()["tag/name"], [
      "héllo",
      "",
      "py",
    ]);
    assertEquals(again.table("wide").rows()[1]["class_2999/acc"], 1 + 2999 / 4);
  },
});

Deno.test({
  name: "numpy schema types keep their widths, signedness and exact uint64",
  ignore,
  async fn() {
    const { dir, store: path } = await newRun();
    const schema = {
      i8: "int8",
      i16: "int16",
      i32: "int32",
      u8: "uint8",
      u16: "uint16",
      u32: "uint32",
      u64: "uint64",
      f32: "float32",
      b: "bool_",
      tag: "str",
    };
    await py("write", [path, "nums"], {
      schema,
      rows: [
        {
          i8: -128,
          i16: -32768,
          i32: -(2 ** 31),
          u8: 255,
          u16: 65535,
          u32: 2 ** 32 - 1,
          u64: "18446744073709551615",
          f32: 0.5,
          b: true,
          tag: "a",
        },
        {
          i8: 127,
          i16: 1,
          i32: 2 ** 31 - 1,
          u8: 0,
          u16: 0,
          u32: 0,
          u64: "9007199254740993",
          f32: -2.25,
          b: false,
          tag: "b",
        },
      ],
    });
    {
      using store = await Store.open(dir, "run");
      const t = store.table("nums");
      assertEquals(t.schema, {
        i8: "int",
        i16: "int",
        i32: "int",
        u8: "int",
        u16: "int",
        u32: "int",
        u64: "int",
        f32: "float",
        b: "bool",
        tag: "str",
      });
      const c = t.columns();
      assertEquals(c.i8, [-128, 127]);
      assertEquals(c.u64, [18446744073709551615n, 9007199254740993n]);
      assertEquals(c.f32, [0.5, -2.25]);
      assertEquals(c.b, [true, false]);
      const row = {
        i8: 5,
        i16: 300,
        i32: 70000,
        u8: 200,
        u16: 60000,
        u32: 4000000000,
        u64: 2n ** 63n + 5n,
        f32: 1.5,
        b: true,
        // longer than the column pandas made: the table is rebuilt, numpy widths kept
        tag: "a tag longer than the first",
      };
      assertThrows(() => t.appendRow({ ...row, i8: 200 }), RangeError, "int8");
      assertThrows(() => t.appendRow({ ...row, u8: -1 }), RangeError, "uint8");
      assertThrows(
        () => t.appendRow({ ...row, u64: 2n ** 64n }),
        RangeError,
        "uint64",
      );
      t.appendRow(row);
    }
    const got = (await pandasRead(path))["nums"];
    assertEquals(got.dtypes, {
      i8: "int8",
      i16: "int16",
      i32: "int32",
      u8: "uint8",
      u16: "uint16",
      u32: "uint32",
      u64: "uint64",
      f32: "float32",
      b: "bool",
      tag: "object",
    });
    assertEquals(got.index, [0, 1, 2]);
    assertEquals(got.rows[2], [
      "5",
      "300",
      "70000",
      "200",
      "60000",
      "4000000000",
      String(2n ** 63n + 5n),
      1.5,
      true,
      "a tag longer than the first",
    ]);
    assertEquals(got.rows[0][6], "18446744073709551615");
    assertEquals(got.cox!.schema.u64, "uint64");
  },
});

Deno.test({
  name:
    "PyTables indexes give every row after our appends (index and data columns)",
  ignore,
  async fn() {
    const { dir, store: path } = await newRun();
    await py("write", [path, "log"], {
      schema: { a: "float", n: "int", s: "str" },
      rows: Array.from({ length: 20 }, (_, i) => ({
        a: i,
        n: i,
        s: `x${String(i).padStart(2, "0")}`,
      })),
    });
    await py("data-columns", [path, "dc", "20"]);
    {
      using store = await Store.open(dir, "run");
      for (let i = 20; i < 25; i++) {
        store.table("log").appendRow({ a: i, n: i, s: `y${i}` });
        store.table("dc").appendRow({ a: i, n: i, s: `s${i}` });
      }
    }
    const select = async (table: string, where: string) =>
      JSON.parse(await py("select", [path, table, where]));
    assertEquals(await select("log", "index >= 21"), [21, 22, 23, 24]);
    assertEquals(await select("log", "index >= 3"), range(3, 25));
    assertEquals(await select("dc", "index >= 21"), [21, 22, 23, 24]);
    assertEquals(await select("dc", "n >= 22"), [22, 23, 24]);
    assertEquals(await select("dc", "s == 's23'"), [23]);
    // Python appends again (PyTables rebuilds the index), then we do
    await py("append", [path, "log"], [{ a: 25, n: 25, s: "z25" }]);
    assertEquals(await select("log", "index >= 21"), [21, 22, 23, 24, 25]);
    {
      using store = await Store.open(dir, "run");
      store.table("log").appendRow({ a: 26, n: 26, s: "w26" });
    }
    assertEquals(await select("log", "index >= 25"), [25, 26]);
    const log = (await pandasRead(path))["log"];
    assertEquals(log.index, range(0, 27));
  },
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

Deno.test({
  name:
    '"nan" strings: missing as pandas reads them, and written as pandas writes them',
  ignore,
  async fn() {
    const { dir, store: path } = await newRun();
    await py("write", [path, "t"], {
      schema: { s: "str", n: "int" },
      rows: [{ s: "nan", n: 0 }, { s: "ok", n: 1 }],
    });
    {
      using store = await Store.open(dir, "run");
      const t = store.table("t");
      assertEquals(t.columns().s, [null, "ok"]);
      t.appendRow({ s: null, n: 2 });
      t.appendRow({ s: "fine", n: 3 });
    }
    const got = (await pandasRead(path))["t"];
    // pandas: its nan_rep is NaN in an object column
    assertEquals(got.rows.map((r) => r[0]), ["NaN", "ok", "NaN", "fine"]);
    assertEquals(got.dtypes.s, "object");
  },
});

Deno.test({
  name:
    "names and values HDF5 or pandas would refuse later are refused at once",
  ignore,
  async fn() {
    const { dir, store: path } = await newRun();
    {
      using store = await Store.open(dir, "run");
      assertThrows(
        () => store.addTable("t", { "a\0b": "float" }),
        TypeError,
        "NUL",
      );
      assertThrows(
        () => store.addTable("t", { ["x".repeat(70000)]: "float" }),
        RangeError,
        "70000 bytes",
      );
      assertThrows(
        () => store.addTable("t\0u", { a: "float" }),
        TypeError,
        "NUL",
      );
      assertThrows(() => store.addTable("a//b", { a: "float" }), TypeError);
      assertThrows(
        () => store.addTable("t", { "\ud800": "float" }),
        TypeError,
        "surrogate",
      );
      const t = store.addTable("t", { a: "float", s: "str" });
      const big = "é".repeat(32 * 1024 * 1024); // 64 MiB of UTF-8
      assertThrows(
        () => t.appendRow({ a: 1, s: big }),
        RangeError,
        `column "s" of table "t"`,
      );
      t.appendRow({ a: 2, s: "x".repeat(60000) });
      t.appendRow({ a: 3, s: "short" });
      assertEquals(t.nrows, 2);
    }
    const got = (await pandasRead(path))["t"];
    assertEquals(got.rows.map((r) => r[0]), [2, 3]);
    assertEquals((got.rows[0][1] as string).length, 60000);
    assertEquals(got.rows[1][1], "short");
    // padding is deflated: the file is not 64 KiB per row
    assertOk((await Deno.stat(path)).size < 400_000);
  },
});

Deno.test({
  name:
    "nested table names as Python cox makes them: listed, read, appended, rebuilt; other objects kept",
  ignore,
  async fn() {
    const { dir, store: path } = await newRun();
    await py("write", [path, "train/acc"], {
      schema: { step: "int", acc: "float", tag: "str" },
      rows: [{ step: 0, acc: 0.5, tag: "a" }, { step: 1, acc: 0.75, tag: "b" }],
    });
    await py("write", [path, "metadata"], {
      schema: { lr: "float" },
      rows: [{ lr: 0.1 }],
    });
    await py("extras", [path]);
    const before = JSON.parse(await py("show-extras", [path]));
    {
      using store = await Store.open(dir, "run");
      assertEquals([...store.tables.keys()].sort(), ["metadata", "train/acc"]);
      const t = store.table("train/acc");
      assertEquals(t.columns().acc, [0.5, 0.75]);
      t.appendRow({ step: 2, acc: 0.8, tag: "c" });
      store.flush();
      // a longer string than the column holds: the file is rebuilt
      t.appendRow({ step: 3, acc: 0.9, tag: "a much longer tag than before" });
      store.addTable("eval/top/1", { k: "int" }).appendRow({ k: 1 });
    }
    const got = await pandasRead(path);
    assertEquals(got["train/acc"].rows, [
      ["0", 0.5, "a"],
      ["1", 0.75, "b"],
      ["2", 0.8, "c"],
      ["3", 0.9, "a much longer tag than before"],
    ]);
    assertEquals(got["metadata"].rows, [[0.1]]);
    assertEquals(got["eval/top/1"].rows, [["1"]]);
    assertEquals(got["train/acc"].cox!.name, "train/acc");
    assertEquals(JSON.parse(await py("show-extras", [path])), before);
    using reader = await Store.open(dir, "run", { mode: "r" });
    assertEquals(reader.table("train/acc").nrows, 4);
  },
});

Deno.test({
  name:
    "a table that cannot be rebuilt keeps its rows in the journal and blocks no other table",
  ignore,
  async fn() {
    const { dir, store: path } = await newRun();
    await py("write", [path, "notes"], {
      schema: { text: "str" },
      rows: [{ text: "ab" }],
    });
    await py("write", [path, "log"], {
      schema: { n: "int" },
      rows: [{ n: 0 }],
    });
    await py("extras-blosc", [path]); // a filter a rebuild cannot carry
    await quietly(async () => {
      const store = await Store.open(dir, "run");
      store.table("notes").appendRow({ text: "far longer than two bytes" });
      store.table("log").appendRow({ n: 1 });
      // close() says where the rows of the table it could not rebuild are
      assertThrows(
        () => store.close(),
        StoreFileError,
        '"notes"',
        "/packed",
        "filter 32001",
        "stay safe in",
      );
    });
    const got = await pandasRead(path);
    assertEquals(got["log"].rows, [["0"], ["1"]]); // the other table's row is in
    assertEquals(got["notes"].rows, [["ab"]]);
    assertEquals(got["packed"].rows, [["1"], ["2"]]);
    using reader = await Store.open(dir, "run", { mode: "r" });
    assertEquals(reader.table("notes").columns().text, [
      "ab",
      "far longer than two bytes",
    ]);
  },
});

Deno.test({
  name:
    "a string widening keeps variable-length data: fixed-format frames and Series with str, h5py vlen strings, attributes",
  ignore: ignore || await ignoreUnless(["h5py"]),
  async fn() {
    const { dir, store: path } = await newRun();
    await py("write", [path, "notes"], {
      schema: { step: "int", text: "str" },
      rows: [{ step: 0, text: "ab" }, { step: 1, text: "cd" }],
    });
    await py("write", [path, "train/acc"], {
      schema: { acc: "float", tag: "str" },
      rows: [{ acc: 0.5, tag: "a" }],
    });
    await py("extras", [path]);
    await py("extras-vlen", [path]);
    const before = await pandasRead(path);
    const extras = JSON.parse(await py("show-extras", [path]));
    const vlen = JSON.parse(await py("show-vlen", [path]));
    assertEquals(vlen.objects, { a: [1, 2], b: ["x", "yy"] });
    assertEquals(vlen.words, ["one", "two three", ""]);
    {
      using store = await Store.open(dir, "run");
      const long = "a string far longer than the column's 2 bytes";
      store.table("notes").appendRow({ step: 2, text: long });
      store.table("train/acc").appendRow({ acc: 0.75, tag: "a longer tag" });
      store.close(); // both tables rebuilt, nothing left in the journal
    }
    const after = await pandasRead(path);
    assertEquals(after["notes"].rows, [
      ["0", "ab"],
      ["1", "cd"],
      ["2", "a string far longer than the column's 2 bytes"],
    ]);
    assertEquals(after["notes"].dtypes, before["notes"].dtypes);
    assertEquals(after["train/acc"].rows, [[0.5, "a"], [0.75, "a longer tag"]]);
    const others = (all: Record<string, PandasObject>) =>
      Object.fromEntries(
        Object.entries(all).filter(([k]) =>
          !["notes", "train/acc"].includes(k)
        ),
      );
    assertEquals(Object.keys(others(after)).sort(), [
      "fixed",
      "objects",
      "plain",
      "runs/names",
      "series",
    ]);
    assertEquals(others(after), others(before));
    assertEquals(JSON.parse(await py("show-extras", [path])), extras);
    assertEquals(JSON.parse(await py("show-vlen", [path])), vlen);
    // Python cox appends to the rebuilt nested table, and we read it all
    await py("append", [path, "train/acc"], [{ acc: 1, tag: "b" }]);
    assertEquals((await pandasRead(path))["train/acc"].rows.length, 3);
    using reader = await Store.open(dir, "run", { mode: "r" });
    assertEquals(reader.table("notes").nrows, 3);
    assertEquals(reader.table("train/acc").columns().tag, [
      "a",
      "a longer tag",
      "b",
    ]);
  },
});

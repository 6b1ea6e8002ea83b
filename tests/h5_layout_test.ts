// The layout planned for new columns is the one createFrameTable gives them,
// so rows packed before a table exists are copied into it as they are.
import { encodeCompound, lookup3 } from "../src/h5/datatype.ts";
import { join } from "node:path";
import { assertEquals, assertOk } from "./assert.ts";
import { createFrameTable, type NewColumn } from "../src/h5/frame_table.ts";
import { planLayout, sameLayout } from "../src/h5/layout.ts";
import { loadH5, withHdf5 } from "../src/h5/store_file.ts";

Deno.test("planLayout() gives the layout createFrameTable() makes", async () => {
  await loadH5();
  const columns: NewColumn[] = [
    { name: "f", kind: "float" },
    { name: "i", kind: "int" },
    { name: "s", kind: "str", width: 48 },
    { name: "b", kind: "bool" },
    { name: "t", kind: "str", width: 3 },
  ];
  const path = join(await Deno.makeTempDir(), "store.h5");
  const made = withHdf5(
    path,
    "w",
    (file) => createFrameTable(file, "t", columns),
  );
  const planned = planLayout("t", columns);
  assertOk(sameLayout(planned, made), JSON.stringify({ planned, made }));
  assertEquals(made.columns.map((c) => [c.name, c.offset, c.size]), [
    ["f", 8, 8],
    ["i", 16, 8],
    ["s", 24, 48],
    ["b", 120, 1],
    ["t", 72, 48], // one block of strings, as wide as its widest
  ]);
  assertEquals(made.columns.map((c) => c.field), [
    "values_block_0",
    "values_block_1",
    "values_block_2",
    "values_block_3",
    "values_block_2",
  ]);
  assertEquals(planned.rowSize, 121);
  assertOk(
    !sameLayout(
      planned,
      planLayout(
        "t",
        columns.map((c) => c.name === "s" ? { ...c, width: 64 } : c),
      ),
    ),
  );
});

Deno.test("lookup3 (HDF5's metadata checksum) gives Jenkins' published values", () => {
  const text = new TextEncoder().encode("Four score and seven years ago");
  assertEquals(lookup3(new Uint8Array(0)), 0xdeadbeef);
  assertEquals(lookup3(text), 0x17770551);
  assertEquals(lookup3(text, 1), 0xcd628161);
});

Deno.test("encodeCompound() writes pandas' block type as HDF5 1.10 encodes it", () => {
  // H5Tencode of [('index','<i8'), ('values_block_0','<f8',(2,))] as h5py gives it, less its 2-byte prefix
  const hex =
    "3602000018000000696e646578000010080000080000000000400076616c7565735f626c6f636b5f3000083a00000010000000010200000011203f000800000000004000340b0034ff030000";
  const bytes = encodeCompound([
    { name: "index", offset: 0, base: { class: "int", size: 8, signed: true } },
    {
      name: "values_block_0",
      offset: 8,
      base: { class: "float", size: 8 },
      count: 2,
    },
  ], 24);
  assertEquals(
    [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(""),
    hex,
  );
});

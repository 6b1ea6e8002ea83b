// The layout planned for new columns is the one createFrameTable gives them,
// so rows packed before a table exists are copied into it as they are.
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

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  decodeObjectCell,
  decodePickleFile,
  encodeObjectCell,
} from "../../src/pickle/mod.ts";
import { toJson } from "./json.ts";

const FIX = new URL("../../fixtures/cox-0.2/", import.meta.url);
const types = JSON.parse(
  await Deno.readTextFile(new URL("expected/types.json", FIX)),
);
const objects = JSON.parse(
  await Deno.readTextFile(new URL("expected/types.objects.json", FIX)),
);
const rows = types.tables.kinds.rows as Record<string, string>[];

Deno.test("golden: OBJECT cells of table kinds decode to types.objects.json", () => {
  strictEqual(rows.length, 4);
  rows.forEach((row, i) => {
    deepStrictEqual(toJson(decodeObjectCell(row.o)), objects[i].o);
  });
});

Deno.test("golden: re-encoding OBJECT cells gives cox's exact text", () => {
  for (const row of rows) {
    strictEqual(encodeObjectCell(decodeObjectCell(row.o)), row.o);
  }
});

Deno.test("golden: PICKLE files of table kinds decode to types.objects.json", async () => {
  for (const [i, row] of rows.entries()) {
    const bytes = await Deno.readFile(
      new URL(`types/all-types/.table_objects/${row.p}`, FIX),
    );
    deepStrictEqual(toJson(decodePickleFile(bytes)), objects[i].p);
  }
});

Deno.test("golden: PYTORCH_STATE files of table kinds decode to types.objects.json", async () => {
  const { readStateDict } = await import("../../src/torch/mod.ts");
  for (const [i, row] of rows.entries()) {
    const bytes = await Deno.readFile(
      new URL(`types/all-types/.table_objects/${row.t}`, FIX),
    );
    deepStrictEqual(toJson(readStateDict(bytes)), objects[i].t);
  }
});

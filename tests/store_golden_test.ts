// Every run that the original Python cox wrote, read through Store.open, gives
// the rows, column order, schemas and dtypes that pandas and cox read.
import { assertEquals } from "./assert.ts";
import { Store } from "../mod.ts";
import { expectedCollection, fixtureRuns, jsonValue } from "./fixtures.ts";
import { unpickle } from "../src/pickle/read.ts";

// OBJECT cells that the expected frames show decoded (all but table kinds)
function decodeObject(cell: unknown): unknown {
  const bytes = Uint8Array.from(
    atob((cell as string).replace(/\n/g, "")),
    (c) => c.charCodeAt(0),
  );
  return unpickle(bytes);
}

const PANDAS_DTYPE: Record<string, string> = {
  float: "float64",
  int: "int64",
  bool: "bool",
};
const SCHEMA_NAME: Record<string, string> = {
  float: "float",
  int: "int",
  str: "str",
  bool: "bool",
};

for (const collection of ["walkthrough1", "walkthrough2", "types"]) {
  Deno.test(`Store.open() reads every run of fixture ${collection} as pandas does`, async () => {
    const expected = await expectedCollection(collection);
    const runs = await fixtureRuns(collection);
    let checkedRows = 0;
    for (const run of runs) {
      using store = await Store.open(run.storage, run.expId, { mode: "r" });
      for (const [tableName, frame] of Object.entries(expected.tables)) {
        const wanted = frame.rows.filter((r) => r.exp_id === run.expId);
        if (wanted.length === 0) continue;
        const table = store.table(tableName);
        const columns = frame.columns.filter((c) => c !== "exp_id");
        assertEquals(
          Object.keys(table.schema),
          columns,
          `${run.expId}/${tableName} column order`,
        );
        const schema = Object.fromEntries(
          Object.entries(table.schema).map((
            [c, k],
          ) => [c, SCHEMA_NAME[k] ?? k]),
        );
        const wantedSchema = Object.fromEntries(
          columns.map((c) => [c, expected.schemas[tableName][c]]),
        );
        assertEquals(schema, wantedSchema, `${run.expId}/${tableName} schema`);
        for (const c of columns) {
          assertEquals(
            PANDAS_DTYPE[table.schema[c]] ?? "object",
            frame.dtypes[c],
            `${tableName}.${c} dtype`,
          );
        }
        const decoded = (c: string, v: unknown) =>
          table.schema[c] === "__object__" && tableName !== "kinds"
            ? [...(decodeObject(v) as unknown[])]
            : v;
        const rows = table.rows().map((r) =>
          Object.fromEntries(
            columns.map((c) => [c, jsonValue(decoded(c, r[c]))]),
          )
        );
        const want = wanted.map((r) =>
          Object.fromEntries(columns.map((c) => [c, r[c]]))
        );
        assertEquals(rows, want, `${run.expId}/${tableName} rows`);
        assertEquals(table.nrows, wanted.length);
        checkedRows += rows.length;
      }
    }
    const total = Object.values(expected.tables).reduce(
      (n, f) => n + f.rows.length,
      0,
    );
    assertEquals(checkedRows, total, "every expected row was checked");
  });
}

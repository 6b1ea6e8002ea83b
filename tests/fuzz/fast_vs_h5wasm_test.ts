// Random pandas tables (tests/fuzz/_pandas_tables.py: every dtype cox reads,
// values blocks and data columns, one to three appends, zlib at random
// levels) read by the fast reader and by h5wasm: the same layouts, cells and
// row ranges; and CollectionReader.df, which decodes the fast reader's raw
// rows straight into its columns, gives h5wasm's cells.
import { join } from "node:path";
import { CollectionReader } from "../../mod.ts";
import {
  type Cell,
  describeFrameTable,
  readColumns,
} from "../../src/h5/frame_table.ts";
import { loadH5 } from "../../src/h5/h5wasm.ts";
import { withHdf5 } from "../../src/h5/store_file.ts";
import { prepareRead, withTableFile } from "../../src/h5/table_file.ts";
import { assertEquals, assertOk } from "../assert.ts";
import { ignoreUnless, runPython } from "../interop/python.ts";

const SEED = Number(Deno.env.get("COX_FUZZ_SEED") ?? 20250614);
const CASES = 24;

interface Case {
  case: number;
  zlib: boolean;
  tables: Record<string, { kinds: string[]; rows: number }>;
}

Deno.test({
  name:
    "fuzz: random pandas tables (every dtype, blocks and data columns, zlib) read alike by the fast reader and h5wasm, and by df",
  ignore: await ignoreUnless(["pandas", "tables"]),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "cox-fast-fuzz-" });
    const cases = (await runPython(
      ["pandas", "tables"],
      "../fuzz/_pandas_tables.py",
      [dir, String(SEED), String(CASES)],
    )).trim().split("\n").map((line) => JSON.parse(line) as Case);
    assertEquals(cases.length, CASES);
    assertOk(cases.some((c) => c.zlib) && cases.some((c) => !c.zlib));
    await loadH5();
    using reader = await CollectionReader.open(dir, { progress: false });
    assertEquals(reader.stores.size, CASES);
    for (const c of cases) {
      const run = `case-${String(c.case).padStart(3, "0")}`;
      const path = join(dir, run, "store.h5");
      const what = `${path} (seed ${SEED}, ${JSON.stringify(c)})`;
      await prepareRead(path);
      const fast = withTableFile(path, (file) => {
        assertEquals(file.reader, "fast", `${what} fell back to h5wasm`);
        return file.keys().map((key) => {
          const layout = file.describe(key);
          const third = Math.floor(layout.nrows / 3);
          return {
            key,
            layout,
            cells: file.readColumns(layout),
            range: file.readColumns(layout, third, third + 1),
          };
        });
      });
      const h5 = withHdf5(path, "r", (file) =>
        file.keys().sort().map((key) => {
          const layout = describeFrameTable(file, key);
          const third = Math.floor(layout.nrows / 3);
          return {
            key,
            layout,
            cells: readColumns(file, layout),
            range: readColumns(file, layout, third, third + 1),
          };
        }));
      assertEquals(fast, h5, what);
      assertEquals(
        h5.map((t) => [t.key, t.layout.nrows]),
        Object.entries(c.tables).map(([name, t]) => [name, t.rows]),
        what,
      );
      // df of this run alone: h5wasm's cells, column by column, then exp_id
      for (const t of h5) {
        const df = reader.df(t.key, { expFilter: (id) => id === run });
        const names = t.layout.columns.map((s) => s.name);
        assertEquals(df.columnNames(), [...names, "exp_id"], what);
        names.forEach((name, i) => {
          const got = Array.from(df.array(name) as ArrayLike<Cell>);
          assertEquals(got, t.cells[i], `${what}: column ${t.key}.${name}`);
        });
        assertEquals(
          Array.from(df.array("exp_id") as ArrayLike<string>),
          new Array(t.layout.nrows).fill(run),
          what,
        );
      }
    }
    await Deno.remove(dir, { recursive: true });
  },
});

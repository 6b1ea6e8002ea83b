/**
 * cox for Deno: log experiments to run folders that Python's cox and pandas
 * read, and read the runs that they wrote.
 *
 * @example
 * ```ts
 * import { Store } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * using store = await Store.open(dir);
 * const metrics = store.addTable("metrics", { step: "int", loss: "float" });
 * metrics.appendRow({ step: 0, loss: 1.5 });
 * console.assert(metrics.nrows === 1);
 * ```
 *
 * @module
 */

export {
  checkExpId,
  checkTableName,
  Store,
  type StoreOptions,
} from "./src/store.ts";
export { Table } from "./src/table.ts";
export {
  type CellOf,
  type ColumnKind,
  type Columns,
  OBJECT,
  PICKLE,
  PYTORCH_STATE,
  type Row,
  type Schema,
  schemaFromExample,
  type StoredRow,
  type ValueOf,
} from "./src/schema.ts";
export { StoreFileError } from "./src/h5/store_file.ts";
export type { Tensor } from "./src/tensor.ts";
export { setWarningSink, type WarningSink } from "./src/warn.ts";

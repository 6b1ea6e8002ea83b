/**
 * cox for Deno's export to Parquet and Arrow: `exportSweep` for a sweep (also
 * in `mod.ts`), `toParquet` and `toArrow` for one data frame. A separate entry
 * so that importing the library does not load the Parquet writer; this one
 * loads it with the module.
 *
 * @example
 * ```ts
 * import { CollectionReader, Store } from "./mod.ts";
 * import { toParquet } from "./export.ts";
 * const dir = await Deno.makeTempDir();
 * using store = await Store.open(dir, "run-1");
 * store.addTable("log", { step: "int", loss: "float" }).appendRow({ step: 0, loss: 1.5 });
 * store.close();
 * using reader = await CollectionReader.open(dir);
 * const bytes = toParquet(reader.df("log"), { kinds: reader.schemas.log });
 * console.assert(new TextDecoder().decode(bytes.subarray(0, 4)) === "PAR1");
 * ```
 *
 * @module
 */

export {
  type ExportOptions,
  type ExportResult,
  exportSweep,
} from "./src/export/sweep.ts";
export {
  type FrameExportOptions,
  toArrow,
  toParquet,
} from "./src/export/frame.ts";
export type { ExportFormat } from "./src/export/sink.ts";
export { OptionError } from "./src/sweep/errors.ts";

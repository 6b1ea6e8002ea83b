/**
 * cox for Deno: log experiments to run folders that Python's cox, pandas and
 * TensorBoard read, and read the runs that they wrote.
 *
 * @example
 * ```ts
 * import { CollectionReader, Store } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * for (const lr of [0.1, 0.01]) {
 *   using store = await Store.open(dir);
 *   store.addTable("metadata", { lr: "float" }).appendRow({ lr });
 *   const log = store.addTable("log", { step: "int", loss: "float" });
 *   for (let step = 0; step < 3; step++) log.appendRow({ step, loss: lr / (step + 1) });
 * }
 * using reader = await CollectionReader.open(dir);
 * console.assert(reader.df("log").numRows() === 6);
 * ```
 *
 * @module
 */

export {
  checkExpId,
  checkTableName,
  Store,
  type StoreOptions,
  type SummaryType,
} from "./src/run/store.ts";
export { MAX_WHOLE_READ_BYTES, type RowRange, Table } from "./src/run/table.ts";
export type {
  ColumnArrayOf,
  ColumnArrays,
  FloatArray,
  IntArray,
} from "./src/run/column_arrays.ts";
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
export {
  CollectionReader,
  type CollectionReaderOptions,
  type DataFrame,
  type DataFrameOptions,
} from "./src/reader.ts";
export { StoreFileError } from "./src/h5/store_file.ts";
export {
  type AddHistogramOptions,
  type AddHparamsOptions,
  type AddImageOptions,
  type Bins,
  cleanTag,
  type CorruptionKind,
  CorruptRecordError,
  type Event,
  type EventFileInfo,
  type EventRecord,
  type Experiment,
  type HistogramProto,
  type HParamInfo,
  type HParamsPluginData,
  type HparamValue,
  type ImageRecord,
  type Int64,
  type Interval,
  type JsonValue,
  type LogMessage,
  type MetadataRecord,
  type MetricInfo,
  type MetricName,
  type PluginData,
  readEvents,
  type ReadEventsOptions,
  type ReadEventsResult,
  type SessionEndInfo,
  type SessionLog,
  type SessionStartInfo,
  type SourceMetadata,
  type Summary,
  type SummaryAudio,
  type SummaryImage,
  type SummaryMetadata,
  type SummaryValue,
  SummaryWriter,
  type SummaryWriterOptions,
  type TaggedRunMetadata,
  type TensorProto,
  type TensorShapeDim,
  type TensorShapeProto,
  type Truncation,
  type ValueRecord,
} from "./src/tensorboard/mod.ts";
export {
  type DictClass,
  dictClassOf,
  NumpyDType,
  pickle,
  PickleError,
  type PickleOptions,
  PyByteArray,
  PyComplex,
  type PyDict,
  PyFloat,
  pyFloat,
  PyGlobal,
  PyObject,
  PyTuple,
  type PyValue,
  tuple,
  unpickle,
  type UnpickleOptions,
} from "./src/pickle/mod.ts";
export {
  readStateDict,
  type ReadTorchOptions,
  type StateDict,
  TorchError,
  writeStateDict,
  type WriteTorchOptions,
} from "./src/torch/mod.ts";
export type { DType, Tensor, TypedArrayFor } from "./src/tensor.ts";
export { setWarningSink, type WarningSink } from "./src/warn.ts";
export { overrideJson, Parameters } from "./src/utils.ts";
export { pyRepr, pyStr } from "./src/python_str.ts";
export {
  type ExportOptions,
  type ExportResult,
  exportSweep,
} from "./src/export/sweep.ts";
export type { ExportFormat } from "./src/export/sink.ts";

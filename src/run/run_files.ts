/**
 * The names of a run's files and folders, as cox names them, and of the
 * attribute cox keeps a table's schema in: a module of its own, so that
 * readers (the dashboard) know them without loading the writer.
 *
 * @module
 */

/** File and folder names inside a run, as cox names them. */
export const STORE_BASENAME = "store.h5";
export const SAVE_DIR = "save";
export const TABLE_OBJECT_DIR = ".table_objects";
export const TENSORBOARD_DIR = "tensorboard";
/** The journal of flushed rows not yet in `store.h5`. */
export const JOURNAL_SUFFIX = ".journal";
/** The lock naming the process that writes the run. */
export const LOCK_SUFFIX = ".lock";
/** The pickled group attribute cox keeps a table's schema in. */
export const COX_DATA = "COX_DATA";

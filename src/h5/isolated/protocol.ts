/**
 * The messages between the main thread and the h5wasm read Worker (see
 * `client.ts`). Each crosses a MessagePort by structured clone; the Worker
 * then raises a word of shared memory that the main thread waits on.
 *
 * @module
 */

/** What the main thread asks the Worker to do with a file open read-only. */
export type Method =
  | "keys"
  | "has"
  | "findTables"
  | "attribute"
  | "attributeNames"
  | "describe"
  | "readColumns"
  | "readRaw";

/** A call: `method(...args)` on the file at `path` (opened at its first call). */
export interface Call {
  id: number;
  path: string;
  method: Method;
  args: unknown[];
}

/** Closes the file at `path` (sent without waiting for a reply). */
export interface Done {
  id: 0;
  path: string;
}

/** An error thrown in the Worker, rebuilt on the main thread. */
export interface ThrownError {
  name: string;
  message: string;
  /** The file a StoreFileError named. */
  path?: string;
  /** HDF5's wasm trapped: the Worker's memory is no longer trusted. */
  trap: boolean;
}

/** The Worker's answer to a call, with the counts the restart policy reads. */
export interface Reply {
  id: number;
  value?: unknown;
  error?: ThrownError;
  /** Bytes of wasm memory (it never shrinks). */
  heap: number;
  /** HDF5 calls that failed since the Worker started (h5wasm leaks on each). */
  failures: number;
  /** Files opened since the Worker started. */
  opened: number;
}

/** The shared words: the id of the last reply, and the Worker's state. */
export const REPLIED = 0;
export const STATE = 1;
/** Values of the STATE word. */
export const BOOTING = 0;
export const READY = 1;
export const FAILED = 2;

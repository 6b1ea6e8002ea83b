/**
 * Cells of the object kinds: OBJECT values pickled inline as base64 text,
 * PICKLE and PYTORCH_STATE values written to `.table_objects/<uuid>`.
 *
 * @module
 */

import type { ColumnKind } from "./schema.ts";

/** Serializes a value of an object kind into the cell that stands for it. */
export function serializeObject(
  _dir: string,
  table: string,
  column: string,
  kind: ColumnKind,
  _value: unknown,
): string {
  throw new TypeError(
    `Cannot store a ${kind} value in column "${column}" of table "${table}" yet`,
  );
}

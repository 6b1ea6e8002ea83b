/**
 * Cells of the object kinds, as cox writes them: OBJECT values pickled
 * inline as base64 text; PICKLE and PYTORCH_STATE values written to
 * `.table_objects/<uuid>` with the uuid in the cell. A cell naming anything
 * but a plain file inside `.table_objects/` is refused, so that a hostile
 * store cannot make us read (or write) outside its run.
 *
 * @module
 */

import { join } from "node:path";
import { encodeObjectCell, encodePickleFile } from "./pickle/cells.ts";
import type { PyValue } from "./pickle/values.ts";
import { type ColumnKind, OBJECT, PICKLE } from "./schema.ts";

function wrap<T>(what: string, body: () => T): T {
  try {
    return body();
  } catch (error) {
    const E = error instanceof RangeError ? RangeError : TypeError;
    throw new E(`${what}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The path of `.table_objects/<uuid>` for a cell; throws a RangeError when the
 * cell is not a plain file name.
 */
export function objectFilePath(dir: string, cell: unknown): string {
  if (
    typeof cell !== "string" || cell.length === 0 || cell.length > 255 ||
    cell === "." || cell === ".." ||
    /[/\\\0]/.test(cell)
  ) {
    throw new RangeError(
      `Cannot open object ${
        JSON.stringify(cell)
      } of ${dir}: expected a plain file name inside .table_objects/`,
    );
  }
  return join(dir, cell);
}

/** Serializes a value of an object kind into the cell that stands for it. */
export function serializeObject(
  dir: string,
  table: string,
  column: string,
  kind: ColumnKind,
  value: unknown,
): string {
  const what =
    `Cannot store a value in ${kind} column "${column}" of table "${table}"`;
  if (kind === OBJECT) {
    return wrap(what, () => encodeObjectCell(value as PyValue));
  }
  const uuid = crypto.randomUUID();
  const bytes = kind === PICKLE
    ? wrap(what, () => encodePickleFile(value as PyValue))
    : wrap(what, () => encodeStateDict(value));
  Deno.writeFileSync(objectFilePath(dir, uuid), bytes, { createNew: true });
  return uuid;
}

function encodeStateDict(_value: unknown): Uint8Array {
  throw new TypeError("PYTORCH_STATE columns are not writable yet");
}

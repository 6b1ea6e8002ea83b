/**
 * Cells of the object kinds, as cox writes them: OBJECT values pickled
 * inline as base64 text; PICKLE and PYTORCH_STATE values written to
 * `.table_objects/<uuid>` with the uuid in the cell. A cell naming anything
 * but a plain file inside `.table_objects/` is refused, so that a hostile
 * store cannot make us read (or write) outside its run.
 *
 * @module
 */

import { isAbsolute, join, relative, sep } from "node:path";
import {
  decodeObjectCell,
  decodePickleFile,
  encodeObjectCell,
  encodePickleFile,
} from "../pickle/cells.ts";
import type { UnpickleOptions } from "../pickle/read.ts";
import type { PyValue } from "../pickle/values.ts";
import {
  readStateDict,
  type StateDict,
  torchPickleReducers,
  writeStateDict,
} from "../torch/mod.ts";
import { type ColumnKind, OBJECT, PICKLE } from "../schema.ts";

/** The largest object file we read (1 GiB); a bigger one is refused before it is read. */
export const MAX_OBJECT_FILE = 1 << 30;

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

function encodeStateDict(value: unknown): Uint8Array {
  if (
    value === null || typeof value !== "object" || Array.isArray(value) ||
    ArrayBuffer.isView(value)
  ) {
    throw new TypeError(
      "expected a state dict: an object of tensors (nested objects allowed)",
    );
  }
  return writeStateDict(value as Record<string, PyValue>);
}

/**
 * Reads `.table_objects/<cell>`, refusing a cell that is not a plain file
 * name, a file that resolves outside the folder (a symlink), or one too big.
 */
export function readObjectFile(dir: string, cell: unknown): Uint8Array {
  const path = objectFilePath(dir, cell);
  const real = Deno.realPathSync(path);
  const rel = relative(Deno.realPathSync(dir), real);
  if (rel === "" || rel.split(sep)[0] === ".." || isAbsolute(rel)) {
    throw new RangeError(
      `Cannot open object ${path}: it resolves to ${real}, outside ${dir}`,
    );
  }
  const info = Deno.statSync(real);
  if (!info.isFile) {
    throw new RangeError(`Cannot open object ${path}: not a regular file`);
  }
  if (info.size > MAX_OBJECT_FILE) {
    throw new RangeError(
      `Cannot open object ${path}: ${info.size} bytes is more than ${MAX_OBJECT_FILE}`,
    );
  }
  return Deno.readFileSync(real);
}

/** How object cells are decoded: torch tensors (as cox's dill pickles them) rebuilt. */
function cellOptions(options: UnpickleOptions): UnpickleOptions {
  return {
    ...options,
    reducers: { ...torchPickleReducers(), ...options.reducers },
  };
}

/** The value of an OBJECT cell (base64 of a pickle). */
export function decodeObject(
  cell: string,
  options: UnpickleOptions = {},
): PyValue {
  return decodeObjectCell(cell, cellOptions(options));
}

/** The value a PICKLE cell names. */
export function loadPickle(
  dir: string,
  uuid: string,
  options: UnpickleOptions = {},
): PyValue {
  return decodePickleFile(readObjectFile(dir, uuid), cellOptions(options));
}

/** The state dict a PYTORCH_STATE cell names. */
export function loadStateDict(dir: string, uuid: string): StateDict {
  return readStateDict(readObjectFile(dir, uuid));
}

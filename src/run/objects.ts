/**
 * Cells of the object kinds, as cox writes them: OBJECT values pickled
 * inline as base64 text; PICKLE and PYTORCH_STATE values written to
 * `.table_objects/<uuid>` with the uuid in the cell. A cell naming anything
 * but a plain file inside `.table_objects/` is refused, so that a hostile
 * store cannot make us read (or write) outside its run.
 *
 * @module
 */

import { dirname, isAbsolute, join, relative, sep } from "../path.ts";
import {
  checkInsideRun,
  OutsideRunError,
  readInsideRun,
  writeNewInsideRun,
} from "./inside_run.ts";
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

/**
 * The object files of a run's PICKLE and PYTORCH_STATE cells on their way
 * to `.table_objects/`. A file is written when its row is appended (so that
 * `getPickle` finds it at once); when that fails (a full disk, a read-only
 * folder) the row is kept all the same, as a table row is, its file is
 * kept in memory, and `flush()` writes it before the row reaches the
 * journal, or throws a clear error and keeps both pending.
 */
export class ObjectFiles {
  readonly #pending = new Map<
    string,
    { bytes: Uint8Array; table: string; column: string; kind: ColumnKind }
  >();

  /** Files of the run `run` in `dir` (its `.table_objects/`). */
  constructor(readonly run: string, readonly dir: string) {}

  /** How many files wait to be written. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Writes one file, or keeps it pending when it cannot be written; throws for a hostile folder. */
  add(
    uuid: string,
    bytes: Uint8Array,
    table: string,
    column: string,
    kind: ColumnKind,
  ): void {
    try {
      this.#write(uuid, bytes);
    } catch (error) {
      if (error instanceof OutsideRunError) throw error;
      this.#pending.set(uuid, { bytes, table, column, kind });
    }
  }

  #write(uuid: string, bytes: Uint8Array): void {
    const path = objectFilePath(this.dir, uuid);
    try {
      writeNewInsideRun(this.run, path, bytes);
    } catch (error) {
      try {
        Deno.removeSync(path); // never leave half a file behind
      } catch {
        // never made
      }
      throw error;
    }
  }

  /** Writes the pending files; throws an error naming the run, table and column of the first that fails. */
  flush(): void {
    for (const [uuid, file] of this.#pending) {
      try {
        this.#write(uuid, file.bytes);
      } catch (error) {
        const E = error instanceof Error
          ? error.constructor as ErrorConstructor
          : Error;
        throw new E(
          `Cannot write the ${file.kind} cell of column "${file.column}" of table "${file.table}" ` +
            `to ${objectFilePath(this.dir, uuid)} (run ${this.run}): ${
              (error as Error).message
            }; ${this.#pending.size} object file${
              this.#pending.size === 1 ? "" : "s"
            } and their rows stay pending and will be retried`,
          { cause: error },
        );
      }
      this.#pending.delete(uuid);
    }
  }
}

/** Serializes a value of an object kind into the cell that stands for it. */
export function serializeObject(
  dir: string,
  table: string,
  column: string,
  kind: ColumnKind,
  value: unknown,
  files: ObjectFiles = new ObjectFiles(dirname(dir), dir),
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
  files.add(uuid, bytes, table, column, kind);
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
  // no folder on the way (.table_objects itself) may lead outside the run
  checkInsideRun(dirname(dir), path, "read");
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
  return readInsideRun(dirname(dir), path);
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
  return readStateDict(readObjectFile(dir, uuid), {
    file: objectFilePath(dir, uuid),
  });
}

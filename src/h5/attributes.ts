/**
 * HDF5 attributes as PyTables writes and reads them: plain strings (UTF-8),
 * int64 scalars, and pickled Python values (protocol 0 in an ASCII
 * fixed-length string, the only form PyTables unpickles).
 *
 * Listing an object's attribute names costs a trip through wasm, so readers
 * and writers list them once per object.
 *
 * @module
 */

import { unpickle } from "../pickle/read.ts";
import { pickle } from "../pickle/write.ts";
import type { PyValue } from "../pickle/values.ts";
import {
  type AttributeMetadata,
  attributeNames,
  type AttributeType,
  type H5File,
  readRawAttribute,
  writeRawAttribute,
} from "./h5wasm.ts";

/**
 * Attributes read another way than through h5wasm (the fast reader): names
 * and raw bytes in h5wasm's shape, so that both paths decode alike.
 */
export interface RawAttributes {
  readonly filename: string;
  /** Names of the attributes of the object at `path`. */
  names(path: string): string[];
  /** Metadata and bytes (null for a null dataspace or vlen), or null when absent. */
  raw(
    path: string,
    name: string,
  ): { metadata: AttributeMetadata; bytes: Uint8Array | null } | null;
}

function isRaw(file: H5File | RawAttributes): file is RawAttributes {
  return typeof (file as RawAttributes).raw === "function";
}

const utf8 = new TextDecoder("utf-8", { fatal: false });
const encoder = new TextEncoder();

function trimNuls(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return bytes.subarray(0, end);
}

/**
 * Unpickled attribute values by their bytes: the same few pickles (a values
 * block's column names, pandas' `info`, cox's `COX_DATA`) recur in every run
 * of a sweep. Values are shared: callers only read them.
 */
const pickles = new Map<string, PyValue>();

function unpickleShared(bytes: Uint8Array): PyValue {
  if (bytes.length > 4096) return unpickle(bytes);
  let key = "";
  for (let i = 0; i < bytes.length; i++) key += String.fromCharCode(bytes[i]);
  const held = pickles.get(key);
  if (held !== undefined) return held;
  const value = unpickle(bytes);
  if (pickles.size >= 4096) pickles.clear();
  pickles.set(key, value);
  return value;
}

/**
 * Reads the attributes of one object (group or dataset). Each read goes
 * straight for the attribute (listing names costs more than a miss).
 */
export class AttributeReader {
  readonly #file: H5File | RawAttributes;
  readonly #path: string;

  constructor(file: H5File | RawAttributes, path: string) {
    this.#file = file;
    this.#path = path;
  }

  #raw(name: string): ReturnType<typeof readRawAttribute> | null {
    try {
      const file = this.#file;
      if (isRaw(file)) {
        const raw = file.raw(this.#path, name);
        if (raw === null) return null;
        const n = raw.bytes?.length ?? 0;
        if (n > 64 * 1024 * 1024) {
          throw new RangeError(
            `Cannot read attribute ${name} of ${this.#path}: ${n} bytes is too large`,
          );
        }
        return raw;
      }
      return readRawAttribute(file, this.#path, name);
    } catch (error) {
      if (error instanceof RangeError) throw error; // too large: not the same as absent
      return null;
    }
  }

  /** Whether the object has attribute `name`. */
  has(name: string): boolean {
    const file = this.#file;
    return (isRaw(file)
      ? file.names(this.#path)
      : attributeNames(file, this.#path)).includes(name);
  }

  /**
   * A string attribute's text (UTF-8 whatever its declared character set, as
   * PyTables writes it), or null when absent or not a string.
   */
  string(name: string): string | null {
    const raw = this.#raw(name);
    if (raw === null) return null;
    const { metadata, bytes } = raw;
    if (metadata.type !== 3) return null;
    if (bytes === null) return "";
    return utf8.decode(trimNuls(bytes));
  }

  /** An integer attribute as a number (bigint past 2^53), or null when absent. */
  int(name: string): number | bigint | null {
    const raw = this.#raw(name);
    if (raw === null) return null;
    const { metadata, bytes } = raw;
    if (metadata.type !== 0 || bytes === null || bytes.length < metadata.size) {
      return null;
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const le = metadata.littleEndian;
    switch (metadata.size) {
      case 8: {
        const v = metadata.signed
          ? view.getBigInt64(0, le)
          : view.getBigUint64(0, le);
        return v >= BigInt(Number.MIN_SAFE_INTEGER) &&
            v <= BigInt(Number.MAX_SAFE_INTEGER)
          ? Number(v)
          : v;
      }
      case 4:
        return metadata.signed ? view.getInt32(0, le) : view.getUint32(0, le);
      case 2:
        return metadata.signed ? view.getInt16(0, le) : view.getUint16(0, le);
      case 1:
        return metadata.signed ? view.getInt8(0) : view.getUint8(0);
      default:
        return null;
    }
  }

  /**
   * A pickled attribute's value, or undefined when absent. Throws a
   * SyntaxError naming the object and attribute when it does not unpickle.
   */
  pickled(name: string): PyValue | undefined {
    const raw = this.#raw(name);
    if (raw === null) return undefined;
    const { metadata, bytes } = raw;
    const where =
      `attribute ${name} of ${this.#path} in ${this.#file.filename}`;
    if (metadata.type !== 3 || bytes === null) {
      throw new SyntaxError(`Cannot read ${where}: expected a pickled string`);
    }
    try {
      return unpickleShared(trimNuls(bytes));
    } catch (error) {
      throw new SyntaxError(
        `Cannot read ${where}: it is not a valid pickle (${
          (error as Error).message
        })`,
        { cause: error },
      );
    }
  }
}

/** Writes attributes of one object, replacing any of the same name. */
export class AttributeWriter {
  readonly #file: H5File;
  readonly #path: string;
  readonly #names: Set<string>;

  /** `fresh`: the object was just created, so no attribute needs replacing. */
  constructor(file: H5File, path: string, fresh = false) {
    this.#file = file;
    this.#path = path;
    this.#names = fresh ? new Set() : new Set(attributeNames(file, path));
  }

  #write(name: string, type: AttributeType, bytes: Uint8Array): void {
    writeRawAttribute(
      this.#file,
      this.#path,
      name,
      this.#names.has(name),
      type,
      bytes,
    );
    this.#names.add(name);
  }

  /** A UTF-8 string, as PyTables writes `CLASS`, `VERSION` and the like. */
  string(name: string, text: string): this {
    const bytes = encoder.encode(text);
    this.#write(
      name,
      { kind: "string", cset: "utf8", size: Math.max(1, bytes.length) },
      bytes.length > 0 ? bytes : new Uint8Array(1),
    );
    return this;
  }

  /** An int64 scalar. */
  int(name: string, value: number | bigint): this {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setBigInt64(0, BigInt(value), true);
    this.#write(name, { kind: "int64" }, bytes);
    return this;
  }

  /** An int32 scalar (PyTables' flags, such as an index's `DIRTY`). */
  int32(name: string, value: number): this {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setInt32(0, value, true);
    this.#write(name, { kind: "int32" }, bytes);
    return this;
  }

  /** A Python value as PyTables writes it: a protocol-0 pickle in an ASCII string. */
  pickled(name: string, value: PyValue): this {
    const bytes = pickle(value, { protocol: 0 });
    this.#write(
      name,
      { kind: "string", cset: "ascii", size: bytes.length },
      bytes,
    );
    return this;
  }
}

/**
 * HDF5 attributes as PyTables writes and reads them: plain strings (UTF-8),
 * int64 scalars, and pickled Python values (protocol 0 in an ASCII
 * fixed-length string, the only form PyTables unpickles).
 *
 * @module
 */

import { unpickle } from "../pickle/read.ts";
import { pickle } from "../pickle/write.ts";
import type { PyValue } from "../pickle/values.ts";
import {
  attributeNames,
  type H5File,
  readRawAttribute,
  writeRawAttribute,
} from "./h5wasm.ts";

const utf8 = new TextDecoder("utf-8", { fatal: false });
const encoder = new TextEncoder();

function trimNuls(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return bytes.subarray(0, end);
}

/** Whether the object at `path` has attribute `name`. */
export function hasAttribute(
  file: H5File,
  path: string,
  name: string,
): boolean {
  return attributeNames(file, path).includes(name);
}

/**
 * A string attribute's text (UTF-8 whatever its declared character set, as
 * PyTables writes it), or null when absent or not a string.
 */
export function readStringAttribute(
  file: H5File,
  path: string,
  name: string,
): string | null {
  if (!hasAttribute(file, path, name)) return null;
  const { metadata, bytes } = readRawAttribute(file, path, name);
  if (metadata.type !== 3) return null;
  if (bytes === null) return "";
  return utf8.decode(trimNuls(bytes));
}

/** An integer attribute as a number (bigint past 2^53), or null when absent. */
export function readIntAttribute(
  file: H5File,
  path: string,
  name: string,
): number | bigint | null {
  if (!hasAttribute(file, path, name)) return null;
  const { metadata, bytes } = readRawAttribute(file, path, name);
  if (metadata.type !== 0 || bytes === null || bytes.length < metadata.size) {
    return null;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = metadata.littleEndian;
  let value: bigint;
  switch (metadata.size) {
    case 8:
      value = metadata.signed
        ? view.getBigInt64(0, le)
        : view.getBigUint64(0, le);
      break;
    case 4:
      return metadata.signed ? view.getInt32(0, le) : view.getUint32(0, le);
    case 2:
      return metadata.signed ? view.getInt16(0, le) : view.getUint16(0, le);
    case 1:
      return metadata.signed ? view.getInt8(0) : view.getUint8(0);
    default:
      return null;
  }
  return value >= BigInt(Number.MIN_SAFE_INTEGER) &&
      value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}

/**
 * A pickled attribute's value, or undefined when absent. Throws a
 * SyntaxError naming the object and attribute when it does not unpickle.
 */
export function readPickledAttribute(
  file: H5File,
  path: string,
  name: string,
): PyValue | undefined {
  if (!hasAttribute(file, path, name)) return undefined;
  const { metadata, bytes } = readRawAttribute(file, path, name);
  if (metadata.type !== 3 || bytes === null) {
    throw new SyntaxError(
      `Cannot read attribute ${name} of ${path}: expected a pickled string`,
    );
  }
  try {
    return unpickle(trimNuls(bytes));
  } catch (error) {
    throw new SyntaxError(
      `Cannot read attribute ${name} of ${path}: it is not a valid pickle (${
        (error as Error).message
      })`,
      { cause: error },
    );
  }
}

/** Writes a UTF-8 string attribute, as PyTables writes `CLASS`, `VERSION` and the like. */
export function writeStringAttribute(
  file: H5File,
  path: string,
  name: string,
  text: string,
): void {
  const bytes = encoder.encode(text);
  writeRawAttribute(
    file,
    path,
    name,
    { kind: "string", cset: "utf8", size: Math.max(1, bytes.length) },
    bytes.length > 0 ? bytes : new Uint8Array(1),
  );
}

/** Writes an int64 scalar attribute. */
export function writeIntAttribute(
  file: H5File,
  path: string,
  name: string,
  value: number | bigint,
): void {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigInt64(0, BigInt(value), true);
  writeRawAttribute(file, path, name, { kind: "int64" }, bytes);
}

/** Writes a Python value as PyTables does: a protocol-0 pickle in an ASCII string. */
export function writePickledAttribute(
  file: H5File,
  path: string,
  name: string,
  value: PyValue,
): void {
  const bytes = pickle(value, { protocol: 0 });
  writeRawAttribute(file, path, name, {
    kind: "string",
    cset: "ascii",
    size: bytes.length,
  }, bytes);
}

/**
 * cox's table cells that hold objects.
 *
 * An OBJECT cell is the base64 text of a pickle (cox writes it with dill,
 * protocol 4), in lines of 76 characters each ending in "\n", exactly as
 * Python's `codecs.encode(pickle_bytes, "base64").decode()`. A PICKLE cell is
 * a uuid naming `.table_objects/<uuid>`, a file holding the pickle bytes:
 * the store does the file, {@link decodePickleFile} / {@link encodePickleFile}
 * the bytes.
 *
 * @module
 */

import { PickleError, unpickle, type UnpickleOptions } from "./read.ts";
import { pickle, type PickleOptions } from "./write.ts";
import type { PyValue } from "./values.ts";

/**
 * Base64 with a "\n" after every 76 characters and at the end, as Python's
 * `base64.encodebytes` (empty input gives "").
 *
 * @example
 * ```ts
 * import { base64Lines } from "./cells.ts";
 * if (base64Lines(new Uint8Array([1, 2, 3])) !== "AQID\n") throw new Error("example failed");
 * ```
 */
export function base64Lines(bytes: Uint8Array): string {
  let out = "";
  // 57 bytes make one 76-character line.
  for (let i = 0; i < bytes.length; i += 57) {
    out += btoa(String.fromCharCode(...bytes.subarray(i, i + 57))) + "\n";
  }
  return out;
}

/**
 * Decodes base64 text, ignoring line breaks and other whitespace. Throws a
 * `PickleError` (offset = index in the text) for other characters or bad padding.
 */
export function fromBase64Lines(text: string): Uint8Array {
  const clean = text.replace(/[\s]+/g, "");
  const bad = clean.search(/[^A-Za-z0-9+/=]/);
  if (bad >= 0 || clean.length % 4 !== 0 || /=[^=]|={3}/.test(clean)) {
    throw new PickleError(
      `OBJECT cell is not base64 text${
        bad >= 0 ? ` (character ${JSON.stringify(clean[bad])})` : ""
      }`,
      Math.max(bad, 0),
    );
  }
  let binary: string;
  try {
    binary = atob(clean);
  } catch {
    throw new PickleError("OBJECT cell is not base64 text", 0);
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/**
 * The OBJECT cell text for `value`: base64 of its pickle (protocol 4 unless
 * given), 76-character lines, trailing newline.
 *
 * @example
 * ```ts
 * import { decodeObjectCell, encodeObjectCell } from "./cells.ts";
 * const cell = encodeObjectCell("just a string");
 * if (cell !== "gASVEQAAAAAAAACMDWp1c3QgYSBzdHJpbmeULg==\n") throw new Error("example failed");
 * if (decodeObjectCell(cell) !== "just a string") throw new Error("example failed");
 * ```
 */
export function encodeObjectCell(
  value: PyValue,
  options: PickleOptions = {},
): string {
  return base64Lines(pickle(value, { protocol: 4, ...options }));
}

/** The value of an OBJECT cell (base64 text of a pickle). Throws `PickleError`. */
export function decodeObjectCell(
  text: string,
  options: UnpickleOptions = {},
): PyValue {
  return unpickle(fromBase64Lines(text), options);
}

/** The bytes of a `.table_objects/<uuid>` file for a PICKLE cell (protocol 4 unless given). */
export function encodePickleFile(
  value: PyValue,
  options: PickleOptions = {},
): Uint8Array {
  return pickle(value, { protocol: 4, ...options });
}

/** The value in a `.table_objects/<uuid>` file of a PICKLE cell. Throws `PickleError`. */
export function decodePickleFile(
  bytes: Uint8Array,
  options: UnpickleOptions = {},
): PyValue {
  return unpickle(bytes, options);
}

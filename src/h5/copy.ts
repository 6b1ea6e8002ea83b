/**
 * Copies the objects of one HDF5 file into another, byte for byte where it
 * matters: a rebuild of `store.h5` (a string column widened) writes a new
 * file, and everything in the old one that is not being rebuilt (pandas
 * Series and frames of other formats, tables cox does not know, groups and
 * attributes users put on the root or on groups) must come across as it was.
 *
 * A dataset keeps its exact datatype (copied from its object header, the
 * way `datatype.ts` gives a table its row type), shape, chunking, deflate
 * level and raw bytes; an attribute its type, shape and bytes. Datasets
 * holding variable-length data anywhere in their type (PyTables' VLArrays,
 * as pandas' fixed format writes object columns; h5py's vlen strings, also
 * inside compounds) are created empty, given their type, then filled
 * through HDF5, which reads their values out of the old file's global heap
 * and writes them into the new one's. What h5wasm cannot carry (filters
 * other than deflate and shuffle, external links, variable-length
 * attributes other than strings) is refused with an error naming it, so
 * that nothing is silently dropped.
 *
 * Cost: proportional to the bytes copied; at most MAX_READ_BYTES per dataset.
 *
 * @module
 */

import { H5Api, type H5File, MAX_READ_BYTES } from "./h5wasm.ts";
import {
  attributeNames,
  copyAttribute,
  copyDatasetRaw,
  copyVlenData,
  createEmptyGroup,
  datasetInfo,
} from "./h5wasm.ts";
import { datatypeMessage, patchRawDatatype, rawStandIn } from "./datatype.ts";

/** Something in a file that a copy cannot carry over; names it. */
export class CopyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CopyError";
  }
}

function childPath(parent: string, name: string): string {
  return parent === "/" ? `/${name}` : `${parent}/${name}`;
}

function copyAttributes(
  src: H5File,
  out: H5File,
  path: string,
  bitfields: { path: string; name: string }[],
): void {
  for (const name of attributeNames(src, path)) {
    try {
      if (copyAttribute(src, out, path, name) === "bitfield") {
        bitfields.push({ path, name });
      }
    } catch (error) {
      throw new CopyError(
        `Cannot carry over attribute ${name} of ${path} in ${src.filename}: ${
          (error as Error).message
        }`,
      );
    }
  }
}

/**
 * Copies every group, dataset and attribute of `src` into the new file
 * `out`, except the objects at the paths in `skip` (and below them). Groups
 * come first; datasets get their real datatypes once `out` is closed and
 * reopened (which this does, once, at the end).
 */
export function copyObjects(
  src: H5File,
  out: H5File,
  skip: ReadonlySet<string>,
): void {
  const bitfields: { path: string; name: string }[] = [];
  copyAttributes(src, out, "/", bitfields);
  const patches: Array<{ path: string; message: Uint8Array; length: number }> =
    [];
  const vlen: string[] = [];
  const queue = ["/"];
  while (queue.length > 0) {
    const path = queue.shift()!;
    const group = src.get(path);
    if (!(group instanceof H5Api.Group)) continue;
    for (const name of group.keys()) {
      const child = childPath(path, name);
      if (skip.has(child)) continue;
      let object: unknown;
      try {
        object = src.get(child);
      } catch {
        object = null;
      }
      if (object instanceof H5Api.Group) {
        createEmptyGroup(out, child);
        copyAttributes(src, out, child, bitfields);
        queue.push(child);
      } else if (object instanceof H5Api.Dataset) {
        const info = datasetInfo(src, child);
        if (info.bytes > MAX_READ_BYTES) {
          throw new CopyError(
            `Cannot carry over ${child} in ${src.filename}: ${info.bytes} bytes is more than ${MAX_READ_BYTES}`,
          );
        }
        const message = datatypeMessage(src, child);
        if (info.vlen) {
          // made empty (null heap references) with the type's size on disk;
          // its values go in once the type is patched in
          const elementSize = fileElementSize(message);
          const standIn = rawStandIn(elementSize, message.length);
          copyDatasetRaw(src, out, child, standIn.metadata, { elementSize });
          vlen.push(child);
          patches.push({ path: child, message, length: standIn.messageLength });
        } else {
          const standIn = rawStandIn(info.elementSize, message.length);
          copyDatasetRaw(src, out, child, standIn.metadata);
          patches.push({ path: child, message, length: standIn.messageLength });
        }
        copyAttributes(src, out, child, bitfields);
      } else {
        throw new CopyError(
          `Cannot carry over ${child} in ${src.filename}: it is not a group or a dataset ` +
            `(a link to another file, or a committed datatype)`,
        );
      }
    }
  }
  if (patches.length > 0 || bitfields.length > 0) {
    patchRawDatatype(out, patches, bitfields);
  }
  for (const path of vlen) {
    try {
      copyVlenData(src, out, path);
    } catch (error) {
      throw new CopyError(
        `Cannot carry over the variable-length values of ${path} in ${src.filename}: ${
          (error as Error).message
        }`,
      );
    }
  }
}

/** The size of one element on disk, from a datatype message (bytes 4..7). */
function fileElementSize(message: Uint8Array): number {
  return message[4] | message[5] << 8 | message[6] << 16 | message[7] << 24;
}

/**
 * Making writes durable: a file's data, and a folder's entries (a new or
 * renamed file survives a crash of the machine only once its folder is
 * synced too).
 *
 * @module
 */

/** Syncs a file's data and metadata to disk. */
export function syncFile(path: string): void {
  const file = Deno.openSync(path, { read: true, write: true });
  try {
    file.syncSync();
  } finally {
    file.close();
  }
}

/** Syncs a folder's entries to disk, where the platform allows it. */
export function syncDir(path: string): void {
  try {
    const dir = Deno.openSync(path, { read: true });
    try {
      dir.syncSync();
    } finally {
      dir.close();
    }
  } catch {
    // not every platform syncs a folder; renames stay atomic all the same
  }
}

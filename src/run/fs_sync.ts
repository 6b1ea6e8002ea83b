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

/**
 * Syncs a folder's entries to disk. A platform that cannot open or sync a
 * folder (Windows; a file system answering EINVAL) is let be: renames stay
 * atomic all the same. Any other failure (EIO, ENOSPC) throws: the entries
 * may not be on disk.
 */
export function syncDir(path: string): void {
  let dir: Deno.FsFile;
  try {
    dir = Deno.openSync(path, { read: true });
  } catch {
    return; // not every platform opens a folder
  }
  try {
    dir.syncSync();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "EINVAL" || code === "ENOTSUP" || code === "EOPNOTSUPP") {
      return;
    }
    throw new Error(
      `Cannot sync the folder ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    dir.close();
  }
}

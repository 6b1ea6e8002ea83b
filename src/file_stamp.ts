/**
 * Telling whether a file changed by its size and mtime, without being
 * fooled by two changes within one tick of the clock file times come from.
 *
 * @module
 */

/**
 * How long after a file's mtime a stamp of it is trusted to name one
 * version. File times come from a coarse clock (a kernel tick, or a
 * server's clock on NFS), and an update in place can keep the size: two
 * writes in one tick leave the same stamp. A version seen this soon after
 * its mtime may change again unseen, so it is not taken as unchanged later
 * (the "racy" case of git's index).
 */
export const RACY_MS = 1000;

/** Whether a file seen at `seenAt` with mtime `mtimeMs` is old enough for its stamp to be trusted. */
export function settled(mtimeMs: number, seenAt: number = Date.now()): boolean {
  return seenAt - mtimeMs > RACY_MS;
}

/**
 * `size@mtime` of a file, or, when it changed too recently to be trusted,
 * a text no later stamp equals (so it counts as changed next time).
 */
export function stampText(
  info: Deno.FileInfo,
  seenAt: number = Date.now(),
): string {
  const mtime = info.mtime?.getTime() ?? 0;
  const text = `${info.size}@${mtime}`;
  return settled(mtime, seenAt) ? text : `${text}~${seenAt}:${Math.random()}`;
}

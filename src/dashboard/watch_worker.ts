/**
 * The dashboard's watch of the sweep folder, in a Worker: `Deno.watchFs`
 * over a folder of 1,000 runs sets an inotify watch on each of its
 * thousands of folders, 100-200 ms of work the server's thread would
 * otherwise spend before it could answer the page. Posts `{ ready: true }`
 * once watching (or `{ error }`), then `{ paths }` for each change.
 *
 * @module
 */

/// <reference lib="deno.worker" />

self.onmessage = async (message: MessageEvent<{ root: string }>) => {
  let watcher: Deno.FsWatcher;
  try {
    watcher = Deno.watchFs(message.data.root, { recursive: true });
  } catch (error) {
    self.postMessage({ error: String(error) });
    return;
  }
  self.postMessage({ ready: true });
  try {
    for await (const event of watcher) {
      if (event.kind !== "access") self.postMessage({ paths: event.paths });
    }
  } catch {
    // the folder went away: the server's periodic passes remain
  }
  self.postMessage({ ended: true });
};

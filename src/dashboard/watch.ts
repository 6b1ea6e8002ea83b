/**
 * Watching a sweep folder for changes, recursively. `Deno.watchFs` runs in a
 * Worker (`watch_worker.ts`), so its set-up (an inotify watch per folder,
 * 100-200 ms for 1,000 runs) does not hold up the server's thread; where a
 * Worker cannot start, it runs on this thread.
 *
 * @module
 */

/** A recursive watch of a folder, calling `onPaths` with the paths of each change. */
export interface FolderWatch {
  /** Settles with whether the folder is watched (false: the platform cannot). */
  readonly ready: Promise<boolean>;
  close(): void;
}

/** Starts watching `root`; `onPaths` gets the paths of each change (access events left out). */
export function watchFolder(
  root: string,
  onPaths: (paths: string[]) => void,
): FolderWatch {
  let worker: Worker;
  try {
    worker = new Worker(new URL("./watch_worker.ts", import.meta.url), {
      type: "module",
    });
  } catch {
    return watchHere(root, onPaths);
  }
  let here: FolderWatch | null = null;
  let closed = false;
  const ready = Promise.withResolvers<boolean>();
  let started = false;
  const fallBack = () => {
    worker.terminate();
    if (started || closed) return ready.resolve(false);
    here = watchHere(root, onPaths);
    here.ready.then(ready.resolve);
  };
  worker.onmessage = (
    e: MessageEvent<
      { ready?: true; error?: string; paths?: string[]; ended?: true }
    >,
  ) => {
    if (e.data.ready) {
      started = true;
      ready.resolve(true);
    } else if (e.data.paths) onPaths(e.data.paths);
    else if (e.data.error !== undefined) ready.resolve(false);
    else if (e.data.ended) worker.terminate();
  };
  worker.onerror = (e) => {
    e.preventDefault();
    fallBack();
  };
  worker.postMessage({ root });
  return {
    ready: ready.promise,
    close() {
      closed = true;
      worker.terminate();
      here?.close();
      ready.resolve(false);
    },
  };
}

/** The same watch on this thread. */
function watchHere(
  root: string,
  onPaths: (paths: string[]) => void,
): FolderWatch {
  let watcher: Deno.FsWatcher;
  try {
    watcher = Deno.watchFs(root, { recursive: true });
  } catch {
    return { ready: Promise.resolve(false), close() {} };
  }
  (async () => {
    try {
      for await (const event of watcher) {
        if (event.kind !== "access") onPaths(event.paths);
      }
    } catch {
      // closed, or the folder went away: the periodic passes remain
    }
  })();
  return {
    ready: Promise.resolve(true),
    close() {
      try {
        watcher.close();
      } catch {
        // already closed
      }
    },
  };
}

/**
 * Writing what is pending when the process ends: on a normal exit (the
 * `unload` event) and on SIGINT/SIGTERM, after which the process exits as
 * the signal would have made it (130/143). One listener of each kind serves
 * every open store and writer; they are added with the first and removed
 * with the last.
 *
 * @module
 */

/** Something with buffered data to write before the process ends. */
export interface Flushable {
  /** Writes what is pending, synchronously (there is no later). */
  flushOnExit(): void;
}

const open = new Set<Flushable>();
const SIGNALS: [Deno.Signal, number][] = [["SIGINT", 130], ["SIGTERM", 143]];
const handlers = new Map<Deno.Signal, () => void>();

function flushAll(): void {
  for (const item of [...open]) {
    try {
      item.flushOnExit();
    } catch (error) {
      console.error(
        `cox: could not write pending data on exit: ${
          (error as Error).message
        }`,
      );
    }
  }
}

function onUnload(): void {
  flushAll();
}

function install(): void {
  globalThis.addEventListener("unload", onUnload);
  if (Deno.build.os === "windows") return;
  for (const [signal, code] of SIGNALS) {
    const handler = () => {
      flushAll();
      Deno.exit(code);
    };
    try {
      Deno.addSignalListener(signal, handler);
      handlers.set(signal, handler);
    } catch {
      // signals unavailable (no permission or platform): unload still covers normal exits
    }
  }
}

function uninstall(): void {
  globalThis.removeEventListener("unload", onUnload);
  for (const [signal, handler] of handlers) {
    Deno.removeSignalListener(signal, handler);
  }
  handlers.clear();
}

/** Flushes `item` when the process ends, until `release(item)`. */
export function holdUntilExit(item: Flushable): void {
  if (open.size === 0) install();
  open.add(item);
}

/** Stops flushing `item` at exit. */
export function release(item: Flushable): void {
  if (open.delete(item) && open.size === 0) uninstall();
}

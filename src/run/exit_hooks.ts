/**
 * Writing what is buffered when the process ends: on a normal exit (the
 * `unload` event), on an uncaught error or rejection, and on SIGINT/SIGTERM,
 * after which the process exits as the signal would have made it (130/143).
 * One listener of each kind serves every open store and writer; they are
 * added with the first and removed with the last.
 *
 * @module
 */

import { warn } from "../warn.ts";

/** Something with buffered data to write before the process ends. */
export interface Flushable {
  /** Writes what is buffered, synchronously (there is no later). */
  flush(): void;
}

const open = new Set<Flushable>();
const SIGNALS: [Deno.Signal, number][] = [["SIGINT", 130], ["SIGTERM", 143]];
const handlers = new Map<Deno.Signal, () => void>();

function flushAll(): void {
  for (const item of [...open]) {
    try {
      item.flush();
    } catch (error) {
      warn(
        `could not write buffered data at exit: ${
          error instanceof Error ? error.message : error
        }`,
      );
    }
  }
}

const EVENTS = ["unload", "error", "unhandledrejection"] as const;

function install(): void {
  for (const event of EVENTS) globalThis.addEventListener(event, flushAll);
  for (const [signal, code] of SIGNALS) {
    const handler = () => {
      flushAll();
      Deno.exit(code);
    };
    try {
      Deno.addSignalListener(signal, handler);
      handlers.set(signal, handler);
    } catch {
      // no such signal here (Windows lacks SIGTERM): unload still covers normal exits
    }
  }
}

function uninstall(): void {
  for (const event of EVENTS) globalThis.removeEventListener(event, flushAll);
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

/** How many stores and writers are held (for tests). */
export function heldCount(): number {
  return open.size;
}

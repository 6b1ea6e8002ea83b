/**
 * One shared set of open writers, flushed on exit, on uncaught errors and
 * on SIGINT/SIGTERM, so that many writers add the listeners only once.
 *
 * @module
 */

import { warn } from "../warn.ts";

/** Something that can write out what it buffers. */
export interface Flushable {
  /** Writes buffered data; must be safe to call at any time. */
  flush(): void;
}

const open = new Set<Flushable>();
let installed = false;

function flushAll(): void {
  for (const w of open) {
    try {
      w.flush();
    } catch (e) {
      warn(
        `could not flush a TensorBoard event file at exit: ${
          e instanceof Error ? e.message : e
        }`,
      );
    }
  }
}

const onSigint = () => {
  flushAll();
  Deno.exit(130);
};
const onSigterm = () => {
  flushAll();
  Deno.exit(143);
};

function install(): void {
  globalThis.addEventListener("unload", flushAll);
  globalThis.addEventListener("error", flushAll);
  globalThis.addEventListener("unhandledrejection", flushAll);
  try {
    Deno.addSignalListener("SIGINT", onSigint);
    Deno.addSignalListener("SIGTERM", onSigterm);
  } catch {
    // Not every platform has these signals (Windows lacks SIGTERM).
  }
  installed = true;
}

function uninstall(): void {
  globalThis.removeEventListener("unload", flushAll);
  globalThis.removeEventListener("error", flushAll);
  globalThis.removeEventListener("unhandledrejection", flushAll);
  try {
    Deno.removeSignalListener("SIGINT", onSigint);
    Deno.removeSignalListener("SIGTERM", onSigterm);
  } catch {
    // See install().
  }
  installed = false;
}

/** Adds `w` to the writers flushed at exit (installing the hooks on first use). */
export function registerForExit(w: Flushable): void {
  open.add(w);
  if (!installed) install();
}

/** Removes `w`; the hooks go away with the last writer. */
export function unregisterForExit(w: Flushable): void {
  open.delete(w);
  if (open.size === 0 && installed) uninstall();
}

/** Number of writers currently registered (for tests). */
export function registeredCount(): number {
  return open.size;
}

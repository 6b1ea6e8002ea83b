/**
 * Writing what is buffered when the process ends: on a normal exit (the
 * `unload` event), on an uncaught error or rejection, and on SIGINT/SIGTERM,
 * after which the process exits as the signal would have made it (130/143).
 * One listener of each kind serves every open store and writer; they are
 * added with the first and removed with the last.
 *
 * A signal listener on the main thread runs only when the event loop does,
 * which a logging loop that never awaits never lets happen. So a Worker
 * (its own thread and event loop) listens too, and writes the signal's exit
 * code into shared memory; the stores read it at their clock checks
 * (`exitIfSignalled`, a few nanoseconds) and exit from inside the loop.
 * The Worker costs a few hundred ms of CPU to start, so it is started only
 * when a clock check finds that the event loop has not turned for
 * BUSY_LOOP_MS (a loop that does await is served by the main thread's
 * listeners); a signal in a busy loop's first BUSY_LOOP_MS is handled once
 * the loop awaits.
 *
 * @module
 */

import type { Worker } from "node:worker_threads";
import { warn } from "../warn.ts";

/**
 * `node:worker_threads`' Worker, loaded when the watcher starts: importing a
 * `node:` module at start-up starts Deno's Node layer (15 to 40 ms in every
 * process, readers included), and the watcher must be startable
 * synchronously, from a loop that never awaits.
 */
function nodeWorker(): typeof Worker {
  const { process } = globalThis as unknown as {
    process: {
      getBuiltinModule(name: string): { Worker: typeof Worker };
    };
  };
  return process.getBuiltinModule("node:worker_threads").Worker;
}

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

/** The exit code of a signal received (0: none), written by the watcher. */
const signalled = new Int32Array(new SharedArrayBuffer(4));

/**
 * The watcher's code: listens while armed, kept alive by an interval (a
 * node worker ends when its loop is empty); unref'd, so it never keeps the
 * process alive. A node worker because a web Worker cannot be unref'd.
 */
const WATCHER = `
const { parentPort, workerData } = require("node:worker_threads");
const signals = ${JSON.stringify(SIGNALS)};
const handlers = signals.map(([, code]) => () => Atomics.store(workerData, 0, code));
let armed = false;
parentPort.on("message", (arm) => {
  if (arm === armed) return;
  armed = arm;
  signals.forEach(([signal], i) => {
    try {
      if (arm) Deno.addSignalListener(signal, handlers[i]);
      else Deno.removeSignalListener(signal, handlers[i]);
    } catch {}
  });
});
setInterval(() => {}, 1 << 30);
`;
let watcher: Worker | null = null;
/** Whether the watcher listens (a store or writer is held, and a loop was found busy). */
let armed = false;

/** How long the event loop must not have turned before the watcher is started, in ms. */
export const BUSY_LOOP_MS = 200;
/** When the first clock check since the event loop last turned came (-1: none yet). */
let busySince = -1;
const turned = () => {
  busySince = -1;
};

/** Arms or disarms the watcher, started once per process (a start costs a few hundred ms). */
function watchSignals(arm: boolean): void {
  if (watcher === null) {
    if (!arm) return;
    try {
      const NodeWorker = nodeWorker();
      watcher = new NodeWorker(WATCHER, {
        eval: true,
        workerData: signalled,
      });
      watcher.unref();
    } catch (error) {
      warn(
        `signals cannot interrupt a loop that never awaits: no watcher thread (${
          error instanceof Error ? error.message : error
        })`,
      );
      return;
    }
  }
  watcher.postMessage(arm);
}

/**
 * At a store's clock check: when a SIGINT/SIGTERM came while the main thread
 * was busy, writes every store and exits as the signal would have (130/143).
 * Starts the watcher when the event loop has not turned for BUSY_LOOP_MS.
 */
export function exitIfSignalled(): void {
  const code = Atomics.load(signalled, 0);
  if (code !== 0 && open.size > 0) {
    flushAll();
    Deno.exit(code);
  }
  if (armed || open.size === 0) return;
  const now = performance.now();
  if (busySince < 0) {
    // a timer runs when the event loop turns, as a signal listener would
    busySince = now;
    Deno.unrefTimer(setTimeout(turned, 0));
  } else if (now - busySince >= BUSY_LOOP_MS) {
    armed = true;
    watchSignals(true);
  }
}

/** Whether the watcher thread listens for signals (for tests). */
export function watcherArmed(): boolean {
  return armed;
}

function install(): void {
  Atomics.store(signalled, 0, 0);
  busySince = -1;
  if (watcher !== null) {
    // started already in this process: arming it costs a message
    armed = true;
    watchSignals(true);
  }
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
  if (armed) watchSignals(false);
  armed = false;
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

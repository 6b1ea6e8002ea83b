/**
 * HDF5 for reading the files the fast reader hands over, isolated in a
 * Worker with its own h5wasm instance: a trap, a leak or a loop caused by a
 * hostile file ends that Worker (terminated, then replaced), not the
 * process, and the file gets a StoreFileError naming it.
 *
 * Calls are synchronous, like the rest of reading: each posts a message on
 * a MessagePort and waits with `Atomics.wait` on a shared word the Worker
 * raises once it has posted its answer, which `receiveMessageOnPort` then
 * takes. A `node:worker_threads` Worker, unref'd, because a web Worker keeps
 * the process alive. The first boot is awaited (`readWorkerReady`): while
 * Deno fetches the Worker's modules for the first time, the main thread must
 * not block; later boots (after a restart) may be waited for synchronously.
 *
 * Restart policy (see docs/hostile_input.md): after a trap or a call over
 * its time limit at once; after a file is done when the Worker's HDF5 calls
 * have failed `maxFailures` times (h5wasm leaks on each failure and traps
 * after some 1,770 to 14,565 of them, with its heap flat), its wasm memory
 * passed `maxHeapBytes` (wasm memory never shrinks), or it opened
 * `maxOpened` files.
 *
 * @module
 */

import type { MessagePort, Worker } from "node:worker_threads";
import { AttributeReader, type RawAttributes } from "../attributes.ts";
import type {
  Cell,
  FoundObject,
  FrameTable,
  StoredKind,
} from "../frame_table.ts";
import { pluginFolder } from "../h5wasm.ts";
import { StoreFileError, usingError } from "../store_file.ts";
import type { TableFile } from "../table_file.ts";
import {
  BOOTING,
  type Call,
  type Done,
  FAILED,
  type Method,
  REPLIED,
  type Reply,
  STATE,
  type ThrownError,
} from "./protocol.ts";

interface Threads {
  Worker: typeof Worker;
  MessageChannel: new () => { port1: MessagePort; port2: MessagePort };
  receiveMessageOnPort(port: MessagePort): { message: unknown } | undefined;
}

let nodeThreads: Threads | null = null;

/** `node:worker_threads`, loaded on first use (a `node:` import costs every process at start-up). */
function threads(): Threads {
  return nodeThreads ??= (globalThis as unknown as {
    process: { getBuiltinModule(name: string): Threads };
  }).process.getBuiltinModule("node:worker_threads");
}

/** A word nobody raises: waiting on it with a timeout is a synchronous pause. */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** When the Worker is restarted, and how long its calls may take. */
export interface ReadWorkerLimits {
  /** Time a call may take on a file of any size, in ms. */
  callMs: number;
  /** Time added per MiB of the file. */
  msPerMiB: number;
  /** Failed HDF5 calls after which the Worker is replaced. */
  maxFailures: number;
  /** Wasm memory after which the Worker is replaced. */
  maxHeapBytes: number;
  /** Files opened after which the Worker is replaced. */
  maxOpened: number;
  /** Time a boot may take, in ms. */
  bootMs: number;
}

const DEFAULT_LIMITS: ReadWorkerLimits = {
  callMs: 3000,
  msPerMiB: 250,
  maxFailures: 500,
  maxHeapBytes: 512 << 20,
  maxOpened: 5000,
  bootMs: 60_000,
};

const limits: ReadWorkerLimits = { ...DEFAULT_LIMITS };

/** Changes the limits (tests use small ones); `{}` restores the defaults. */
export function setReadWorkerLimits(change: Partial<ReadWorkerLimits>): void {
  Object.assign(limits, DEFAULT_LIMITS, change);
}

/** What the read Worker has done in this process. */
export interface ReadWorkerStats {
  /** Workers started. */
  boots: number;
  /** Workers terminated, and why. */
  retired: string[];
  /** Calls answered. */
  calls: number;
}

const stats: ReadWorkerStats = { boots: 0, retired: [], calls: 0 };

/** A copy of what the read Worker has done in this process. */
export function readWorkerStats(): ReadWorkerStats {
  return { ...stats, retired: [...stats.retired] };
}

interface Running {
  worker: Worker;
  control: Int32Array;
  port: MessagePort;
  /** Why it is to be replaced once the current file is done (null: it is not). */
  retireAfter: string | null;
  /** Why it stopped, when it threw. */
  failed?: string;
}

let current: Running | null = null;
/** A Worker became ready once: its modules are cached, so a boot may block. */
let everReady = false;
let lastId = 0;
/** The filter plugins' folder, found once on this thread (see `pluginFolder`). */
let plugins: string | null | undefined;

/**
 * The Worker's module as a data: URL importing it: a node Worker takes only
 * file: and data: URLs (cox may be imported over https), and reads a file:
 * one with the process's read permission, which may not cover cox's folder.
 */
function workerUrl(): URL {
  const url = new URL("./worker.ts", import.meta.url);
  return new URL(`data:text/javascript,import ${JSON.stringify(url.href)};`);
}

function boot(): Running {
  const { Worker, MessageChannel } = threads();
  const control = new Int32Array(new SharedArrayBuffer(8));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(
    workerUrl(),
    {
      workerData: { control, port: port2, plugins: plugins ?? null },
      transferList: [port2 as unknown as Transferable],
    } as ConstructorParameters<typeof Worker>[1],
  );
  const running: Running = { worker, control, port: port1, retireAfter: null };
  // an error the Worker did not catch (its modules failed to load, say)
  // ends it, not the process; a call waiting on it times out
  worker.on("error", (error: unknown) => {
    running.failed = (error as Error)?.message ?? String(error);
    Atomics.store(control, STATE, FAILED);
    Atomics.notify(control, STATE);
  });
  worker.unref();
  (port1 as unknown as { unref?(): void }).unref?.();
  stats.boots++;
  return running;
}

/**
 * Why `running` did not become ready (retiring it), or null when it is
 * ready.
 */
function bootFailure(running: Running): string | null {
  const state = Atomics.load(running.control, STATE);
  if (state !== BOOTING && state !== FAILED) return null;
  let why = `not ready after ${limits.bootMs / 1000} s`;
  if (state === FAILED) {
    const got = threads().receiveMessageOnPort(running.port)?.message as
      | { bootError?: string }
      | undefined;
    why = got?.bootError ?? running.failed ?? "it stopped while starting";
  }
  retire(running, `boot: ${why}`);
  return why;
}

function retire(running: Running, why: string): void {
  stats.retired.push(why);
  void running.worker.terminate();
  if (current === running) current = null;
}

/**
 * Starts the read Worker when none runs and waits until its HDF5 is loaded,
 * without blocking. Throws when it cannot start.
 */
export async function readWorkerReady(): Promise<void> {
  plugins ??= await pluginFolder();
  current ??= boot();
  const running = current;
  if (Atomics.load(running.control, STATE) === BOOTING) {
    // a message, not Atomics.waitAsync: it must keep the event loop alive
    running.worker.ref();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      running.worker.once("message", () => resolve());
      running.worker.once("error", () => resolve());
      running.worker.once("exit", () => resolve());
      timer = setTimeout(resolve, limits.bootMs);
    });
    clearTimeout(timer);
    running.worker.unref();
  }
  const why = bootFailure(running);
  if (why !== null) throw new Error(`Cannot start HDF5 for reading: ${why}`);
  everReady = true;
}

/** Whether the read Worker can serve calls now (it was ready once in this process). */
export function readWorkerUsable(): boolean {
  return everReady;
}

/** The running Worker, started (and waited for) when there is none. */
function ready(path: string): Running {
  current ??= boot();
  const running = current;
  if (Atomics.load(running.control, STATE) === BOOTING) {
    Atomics.wait(running.control, STATE, BOOTING, limits.bootMs);
  }
  const why = bootFailure(running);
  if (why === null) return running;
  throw new StoreFileError(
    path,
    `Cannot read ${path}: HDF5 could not be started (${why})`,
  );
}

/** The answer the Worker posted before raising the word (taken synchronously). */
function receive(running: Running): Reply {
  const { receiveMessageOnPort } = threads();
  for (let tries = 0; tries < 1000; tries++) {
    const got = receiveMessageOnPort(running.port);
    if (got !== undefined) return got.message as Reply;
    Atomics.wait(PAUSE, 0, 0, 1); // posted, not yet delivered
  }
  throw new Error("the answer never arrived");
}

function rebuilt(path: string, error: ThrownError): Error {
  if (error.trap) {
    return new StoreFileError(
      path,
      `Cannot read ${path}: HDF5 crashed on it (${
        error.message.split("\n")[0]
      }); its reader was restarted`,
    );
  }
  switch (error.name) {
    case "StoreFileError":
      return new StoreFileError(error.path ?? path, error.message);
    case "TypeError":
      return new TypeError(error.message);
    case "RangeError":
      return new RangeError(error.message);
  }
  return usingError(path, new Error(error.message)) as Error;
}

/** Calls `method` on `path` in the Worker; `limitMs` bounds the wait. */
function call(
  path: string,
  limitMs: number,
  method: Method,
  args: unknown[] = [],
): unknown {
  const running = ready(path);
  const id = ++lastId;
  running.port.postMessage({ id, path, method, args } satisfies Call);
  const deadline = performance.now() + limitMs;
  for (;;) {
    const at = Atomics.load(running.control, REPLIED);
    if (at === id) break;
    const left = deadline - performance.now();
    if (left <= 0) {
      retire(running, `timeout: ${method} on ${path}`);
      throw new StoreFileError(
        path,
        `Cannot read ${path}: HDF5 spent more than ${
          (limitMs / 1000).toFixed(1)
        } s on it (${method}); the file may be hostile`,
      );
    }
    Atomics.wait(running.control, REPLIED, at, left);
  }
  let reply: Reply;
  try {
    reply = receive(running);
  } catch (error) {
    retire(running, `lost answer: ${method} on ${path}`);
    throw new StoreFileError(
      path,
      `Cannot read ${path}: ${(error as Error).message}`,
    );
  }
  stats.calls++;
  if (reply.error?.trap) retire(running, `trap: ${method} on ${path}`);
  else if (reply.failures >= limits.maxFailures) {
    running.retireAfter = `${reply.failures} failed HDF5 calls`;
  } else if (reply.heap >= limits.maxHeapBytes) {
    running.retireAfter = `${reply.heap} bytes of wasm memory`;
  } else if (reply.opened >= limits.maxOpened) {
    running.retireAfter = `${reply.opened} files opened`;
  }
  if (reply.error) throw rebuilt(path, reply.error);
  return reply.value;
}

/** A table file whose every read is a call to the Worker. */
class WorkerTableFile implements TableFile {
  readonly reader = "h5wasm";
  readonly filename: string;
  readonly #limitMs: number;

  constructor(path: string, size: number) {
    this.filename = path;
    this.#limitMs = limits.callMs + limits.msPerMiB * size / (1 << 20);
  }

  #call(method: Method, ...args: unknown[]): unknown {
    return call(this.filename, this.#limitMs, method, args);
  }

  keys(): string[] {
    return this.#call("keys") as string[];
  }

  has(path: string): boolean {
    return this.#call("has", path) as boolean;
  }

  findTables(): FoundObject[] {
    return this.#call("findTables") as FoundObject[];
  }

  attributes(path: string): AttributeReader {
    return new AttributeReader({
      filename: this.filename,
      names: (at) => this.#call("attributeNames", at) as string[],
      raw: (at, name) =>
        this.#call("attribute", at, name) as ReturnType<
          RawAttributes["raw"]
        >,
    }, path);
  }

  describe(
    key: string,
    known?: Readonly<Record<string, StoredKind>>,
  ): FrameTable {
    return this.#call("describe", key, known) as FrameTable;
  }

  readColumns(table: FrameTable, start?: number, count?: number): Cell[][] {
    return this.#call("readColumns", table, start, count) as Cell[][];
  }

  readRaw(table: FrameTable, start?: number, count?: number): Uint8Array {
    return this.#call("readRaw", table, start, count) as Uint8Array;
  }
}

/**
 * Runs `body` on `path` read through the Worker (which must have been ready
 * once: see `readWorkerReady`), closing the file there afterwards. Errors of
 * `body` that are not a StoreFileError, TypeError or RangeError become a
 * StoreFileError naming the file.
 */
export function withReadWorker<T>(
  path: string,
  body: (file: TableFile) => T,
): T {
  let size = 0;
  try {
    size = Deno.statSync(path).size;
  } catch {
    // the Worker's open says why
  }
  try {
    return body(new WorkerTableFile(path, size));
  } catch (error) {
    throw usingError(path, error);
  } finally {
    const running = current;
    if (running !== null) {
      running.port.postMessage({ id: 0, path } satisfies Done);
      if (running.retireAfter !== null) {
        retire(running, running.retireAfter);
      }
    }
  }
}

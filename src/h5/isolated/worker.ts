/**
 * The h5wasm read Worker's own code: a second HDF5 instance, in its own
 * thread and wasm memory, serving the calls of `client.ts` on files the fast
 * reader hands over. Whatever a hostile file does to this HDF5 (a trap, a
 * leak, a loop) stays here; the main thread terminates and replaces it.
 *
 * @module
 */

import type { MessagePort } from "node:worker_threads";
import type { FrameTable, StoredKind } from "../frame_table.ts";
import {
  attributeNames,
  type H5File,
  h5HeapBytes,
  loadH5,
  noteTrap,
  readRawAttribute,
  trapReason,
} from "../h5wasm.ts";
import { openHdf5, StoreFileError } from "../store_file.ts";
import { h5TableFile, type TableFile } from "../table_file.ts";
import {
  type Call,
  type Done,
  FAILED,
  READY,
  REPLIED,
  type Reply,
  STATE,
  type ThrownError,
} from "./protocol.ts";

const { parentPort, workerData } = (globalThis as unknown as {
  process: {
    getBuiltinModule(name: string): {
      parentPort: { postMessage(message: unknown): void };
      workerData: {
        control: Int32Array;
        port: MessagePort;
        plugins: string | null;
      };
    };
  };
}).process.getBuiltinModule("node:worker_threads");
const { control, port, plugins } = workerData;

let failures = 0;
let opened = 0;
const files = new Map<string, { file: H5File; table: TableFile }>();

function fileFor(path: string): { file: H5File; table: TableFile } {
  let held = files.get(path);
  if (held === undefined) {
    opened++;
    const file = openHdf5(path, "r");
    held = { file, table: h5TableFile(file) };
    files.set(path, held);
  }
  return held;
}

function close(path: string): void {
  const held = files.get(path);
  if (held === undefined) return;
  files.delete(path);
  try {
    held.file.close();
  } catch (error) {
    failures++;
    noteTrap(path, error);
  }
}

function run(call: Call): unknown {
  const { file, table } = fileFor(call.path);
  const a = call.args;
  switch (call.method) {
    case "keys":
      return table.keys();
    case "has":
      return table.has(a[0] as string);
    case "findTables":
      return table.findTables();
    case "attributeNames":
      return attributeNames(file, a[0] as string);
    case "attribute":
      try {
        return readRawAttribute(file, a[0] as string, a[1] as string);
      } catch (error) {
        if (error instanceof RangeError) throw error; // too large: not absent
        failures++; // a missing attribute is a failed HDF5 call, and leaks
        noteTrap(call.path, error);
        if (trapReason() !== null) throw error;
        return null;
      }
    case "describe":
      return table.describe(
        a[0] as string,
        a[1] as Record<string, StoredKind> | undefined,
      );
    case "readColumns":
      return table.readColumns(
        a[0] as FrameTable,
        a[1] as number,
        a[2] as number,
      );
    case "readRaw":
      return table.readRaw(a[0] as FrameTable, a[1] as number, a[2] as number);
  }
}

function thrown(path: string, error: unknown): ThrownError {
  failures++;
  noteTrap(path, error);
  const e = error instanceof Error ? error : new Error(String(error));
  return {
    name: e.name,
    message: e.message,
    path: error instanceof StoreFileError ? error.path : undefined,
    trap: trapReason() !== null,
  };
}

function answer(message: Call | Done): void {
  if (!("method" in message)) {
    close(message.path);
    return;
  }
  const reply: Reply = { id: message.id, heap: 0, failures: 0, opened: 0 };
  try {
    reply.value = run(message);
  } catch (error) {
    reply.error = thrown(message.path, error);
    close(message.path);
  }
  reply.heap = h5HeapBytes();
  reply.failures = failures;
  reply.opened = opened;
  port.postMessage(reply);
  Atomics.store(control, REPLIED, message.id);
  Atomics.notify(control, REPLIED);
}

try {
  await loadH5(plugins);
  port.on("message", answer);
  Atomics.store(control, STATE, READY);
} catch (error) {
  port.postMessage({ bootError: (error as Error)?.message ?? String(error) });
  Atomics.store(control, STATE, FAILED);
}
Atomics.notify(control, STATE);
parentPort.postMessage(Atomics.load(control, STATE)); // for a thread not waiting on the word

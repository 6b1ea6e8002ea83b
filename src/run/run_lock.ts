/**
 * One writer per run: `store.h5.lock` names the process that writes the run
 * (pid, host, when). A second writer gets an error naming the first; a lock
 * whose process is gone (same host, pid no longer running it) is taken over.
 * Readers never look at it.
 *
 * @module
 */

import { warn } from "../warn.ts";

/** This host's name (as `node:os`'s hostname, without loading node:os at start-up). */
function hostname(): string {
  return Deno.hostname();
}

/** What a lock file says. */
export interface LockInfo {
  pid: number;
  host: string;
  /** When the lock was taken (ms since the epoch). */
  since: number;
  /** The process's start time in clock ticks (Linux), to tell a reused pid apart. */
  procStart?: number;
}

/** A run is being written by another live process. */
export class RunLockedError extends Error {
  /** The lock file. */
  readonly path: string;
  /** What it says of the writer. */
  readonly holder: LockInfo;
  constructor(path: string, holder: LockInfo) {
    super(
      `Cannot open ${
        path.replace(/\.lock$/, "")
      } for writing: process ${holder.pid} on host ${holder.host} ` +
        `has it open since ${
          new Date(holder.since).toISOString()
        }. Open it with mode "r" to read it; ` +
        `if that process is gone, delete ${path}`,
    );
    this.name = "RunLockedError";
    this.path = path;
    this.holder = holder;
  }
}

/** The start time of a process, from /proc (Linux), or undefined. */
function procStart(pid: number): number | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // fields after the command name (which may hold spaces) start after the last ")"
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

/** Whether the process a lock names is gone: only decidable on this host, with /proc. */
function isStale(info: LockInfo): boolean {
  if (info.host !== hostname()) return false;
  if (info.pid === Deno.pid) return false;
  let hasProc: boolean;
  try {
    hasProc = Deno.statSync("/proc/self/stat").isFile;
  } catch {
    hasProc = false;
  }
  if (!hasProc) return false;
  const start = procStart(info.pid);
  if (start === undefined) return true;
  return info.procStart !== undefined && start !== info.procStart;
}

function readLock(path: string): LockInfo | null {
  try {
    const info = JSON.parse(Deno.readTextFileSync(path));
    if (typeof info?.pid === "number" && typeof info?.host === "string") {
      return info as LockInfo;
    }
    return { pid: -1, host: "unknown", since: 0 };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    return { pid: -1, host: "unknown", since: 0 }; // unreadable: treated as held, named as unknown
  }
}

/** The lock a writer holds on its run. */
export class RunLock {
  readonly path: string;
  readonly #info: LockInfo;

  private constructor(path: string, info: LockInfo) {
    this.path = path;
    this.#info = info;
  }

  /** Takes the lock at `path`, or throws RunLockedError naming its holder. */
  static acquire(path: string): RunLock {
    const info: LockInfo = {
      pid: Deno.pid,
      host: hostname(),
      since: Date.now(),
      procStart: procStart(Deno.pid),
    };
    const text = JSON.stringify(info);
    const tmp = `${path}.${Deno.pid}.${crypto.randomUUID()}`;
    Deno.writeTextFileSync(tmp, text);
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          Deno.linkSync(tmp, path); // atomic: fails when a lock exists
          return new RunLock(path, info);
        } catch (error) {
          if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
        }
        const holder = readLock(path);
        if (holder === null) continue; // released meanwhile
        if (!isStale(holder)) throw new RunLockedError(path, holder);
        // remove it only if it still names the same dead process
        const again = readLock(path);
        if (again && again.pid === holder.pid && again.since === holder.since) {
          Deno.removeSync(path);
          warn(
            `took over the lock ${path} of process ${holder.pid}, which is no longer running`,
          );
        }
      }
      const holder = readLock(path) ?? { pid: -1, host: "unknown", since: 0 };
      throw new RunLockedError(path, holder);
    } finally {
      Deno.removeSync(tmp);
    }
  }

  /** Gives the lock up (if it is still ours). */
  release(): void {
    const now = readLock(this.path);
    if (now && now.pid === this.#info.pid && now.since === this.#info.since) {
      try {
        Deno.removeSync(this.path);
      } catch {
        // already gone
      }
    }
  }
}

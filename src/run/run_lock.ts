/**
 * One writer per run: `store.h5.lock` names the process that writes the run
 * (pid, host, boot id, pid namespace, start time), and that process holds
 * an OS lock on the file (`flock`, through `Deno.FsFile.lock`) for as long
 * as it writes. The kernel drops that lock when the process dies, however
 * it dies, and it does so for every PID namespace of the machine (container,
 * `unshare -p`): a pid alone cannot tell across namespaces whether its
 * process runs, but the OS lock can.
 *
 * A second writer gets an error naming the first. A lock is taken over only
 * when its holder is provably gone: the file's OS lock is free and the
 * file was written on this machine since it booted (same boot id), or on
 * this host before its last boot (a different boot id). An empty or
 * unreadable lock file (left by a crash of a writer that wrote it in
 * place) is taken over when its OS lock is free. A lock from another
 * machine is never taken over. Readers never look at the lock.
 *
 * The lock file is complete and OS-locked from the moment it appears: it is
 * written and locked under a temporary name, then hard-linked into place.
 *
 * @module
 */

import { dirname } from "../path.ts";
import { warn } from "../warn.ts";
import { checkInsideRun, OutsideRunError } from "./inside_run.ts";

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
  /** The machine's boot id (Linux `/proc/sys/kernel/random/boot_id`). */
  bootId?: string;
  /** The writer's PID namespace (Linux `/proc/self/ns/pid`, e.g. `pid:[4026531836]`). */
  pidNs?: string;
  /** Whether the writer holds an OS lock on the file for its life. */
  osLock?: boolean;
}

/** A run is being written by another live process. */
export class RunLockedError extends Error {
  /** The lock file. */
  readonly path: string;
  /** What it says of the writer. */
  readonly holder: LockInfo;
  constructor(path: string, holder: LockInfo, why = "") {
    super(
      `Cannot open ${
        path.replace(/\.lock$/, "")
      } for writing: process ${holder.pid} on host ${holder.host}${
        holder.pidNs ? ` (PID namespace ${holder.pidNs})` : ""
      } ` +
        `has it open since ${
          new Date(holder.since).toISOString()
        }${why}. Open it with mode "r" to read it; ` +
        `if that process is gone, delete ${path}`,
    );
    this.name = "RunLockedError";
    this.path = path;
    this.holder = holder;
  }
}

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path).trim();
  } catch {
    return undefined;
  }
}

/** The start time of a process, from /proc (Linux), or undefined. */
function procStart(pid: number): number | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // fields after the command name (which may hold spaces) start after the last ")"
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[19]);
}

function pidNamespace(): string | undefined {
  try {
    return Deno.readLinkSync("/proc/self/ns/pid");
  } catch {
    return undefined;
  }
}

/** This process as a lock file names it. */
function me(): LockInfo {
  return {
    pid: Deno.pid,
    host: hostname(),
    since: Date.now(),
    procStart: procStart(Deno.pid),
    bootId: readText("/proc/sys/kernel/random/boot_id"),
    pidNs: pidNamespace(),
    osLock: true,
  };
}

const UNKNOWN: LockInfo = { pid: -1, host: "unknown", since: 0 };

function parse(text: string): LockInfo | null {
  try {
    const info = JSON.parse(text);
    if (typeof info?.pid === "number" && typeof info?.host === "string") {
      return info as LockInfo;
    }
  } catch {
    // unreadable
  }
  return null;
}

/**
 * Whether the holder named by `info` is gone, given that the file's OS lock
 * is free (we hold it now). `null` info: an empty or unreadable file.
 */
function holderGone(info: LockInfo | null, self: LockInfo): boolean {
  if (info === null) return true; // not a lock any writer of ours holds
  if (info.bootId && self.bootId) {
    if (info.bootId !== self.bootId) {
      // written before this machine's last boot, or on another machine
      return info.host === self.host;
    }
    if (info.osLock) return true; // same kernel: its OS lock would be held
  }
  // an older lock without an OS lock: only a pid in our own namespace can be checked
  if (info.host !== self.host || info.pid === Deno.pid) return false;
  if (info.pidNs !== undefined && info.pidNs !== self.pidNs) return false;
  if (self.procStart === undefined) return false; // no /proc
  const start = procStart(info.pid);
  if (start === undefined) return true;
  return info.procStart !== undefined && start !== info.procStart;
}

function sameFile(a: Deno.FileInfo, b: Deno.FileInfo): boolean {
  return a.ino !== null && a.ino === b.ino && a.dev === b.dev;
}

/** The lock a writer holds on its run. */
export class RunLock {
  readonly path: string;
  readonly #info: LockInfo;
  #file: Deno.FsFile | null;

  private constructor(path: string, info: LockInfo, file: Deno.FsFile) {
    this.path = path;
    this.#info = info;
    this.#file = file;
  }

  /** What the lock file says of this writer. */
  get info(): LockInfo {
    return this.#info;
  }

  /** Takes the lock at `path`, or throws RunLockedError naming its holder. */
  static acquire(path: string): RunLock {
    const run = dirname(path);
    const info = me();
    const tmp = `${path}.${Deno.pid}.${crypto.randomUUID()}`;
    checkInsideRun(run, tmp, "write");
    Deno.writeTextFileSync(tmp, JSON.stringify(info), { createNew: true });
    const file = Deno.openSync(tmp, { read: true });
    let done = false;
    try {
      file.lockSync(true); // fresh and ours: free
      for (let attempt = 0; attempt < 3; attempt++) {
        checkInsideRun(run, path, "write");
        try {
          Deno.linkSync(tmp, path); // atomic: fails when a lock exists
          done = true;
          return new RunLock(path, info, file);
        } catch (error) {
          if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
        }
        RunLock.#takeOverIfGone(run, path, info);
      }
      const held = parse(readText(path) ?? "") ?? UNKNOWN;
      throw new RunLockedError(path, held);
    } finally {
      if (!done) file.close();
      try {
        Deno.removeSync(tmp);
      } catch {
        // already gone
      }
    }
  }

  /** Removes the lock at `path` when its holder is provably gone; throws RunLockedError when it is not. */
  static #takeOverIfGone(run: string, path: string, self: LockInfo): void {
    let held: Deno.FsFile;
    try {
      checkInsideRun(run, path, "write"); // a symlink is never a lock of ours
      held = Deno.openSync(path, { read: true });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return; // released meanwhile
      if (error instanceof OutsideRunError) throw error;
      throw new RunLockedError(
        path,
        UNKNOWN,
        ` (its lock file cannot be read: ${(error as Error).message})`,
      );
    }
    try {
      const text = readText(path) ?? "";
      const info = parse(text);
      if (!held.tryLockSync(true)) {
        throw new RunLockedError(path, info ?? UNKNOWN);
      }
      if (!holderGone(info, self)) {
        throw new RunLockedError(
          path,
          info ?? UNKNOWN,
          info && info.bootId !== self.bootId
            ? " (on another machine, which cannot be checked)"
            : "",
        );
      }
      // remove it only if the name still holds the file we checked
      let now: Deno.FileInfo;
      try {
        now = Deno.lstatSync(path);
      } catch {
        return;
      }
      if (!sameFile(now, held.statSync())) return;
      Deno.removeSync(path);
      warn(
        info === null
          ? `took over the lock ${path}, which was empty or unreadable and held by no process`
          : `took over the lock ${path} of process ${info.pid} on host ${info.host}, which is no longer running`,
      );
    } finally {
      held.close();
    }
  }

  /** Gives the lock up (if it is still ours). */
  release(): void {
    const file = this.#file;
    if (file === null) return;
    this.#file = null;
    try {
      // the name may have been taken over meanwhile (a lock deleted by hand)
      if (sameFile(Deno.lstatSync(this.path), file.statSync())) {
        Deno.removeSync(this.path);
      }
    } catch {
      // already gone
    } finally {
      file.close(); // drops the OS lock
    }
  }
}

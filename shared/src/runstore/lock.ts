/**
 * Reading a run folder's `.lock` (the writer side, taking and releasing it, is the runner's
 * `runs/lock.ts`). One rule for every reader: a lock written on another host cannot be checked
 * from here, so it counts as held; a lock on this host is held while its pid is alive.
 */
import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { RUN_FILES } from "../runfiles";

/** What `.lock` holds: the writer's pid and host, and when it took the lock. */
export interface LockInfo {
  pid: number;
  host: string;
  since: string;
}

/**
 * Who holds a run folder: nobody (`free`), a live process on this host (`here`), a process on
 * another host (`elsewhere`, assumed alive), or a process that is gone (`stale`: killed, resumable).
 */
export type LockState =
  | { held: "free" }
  | { held: "here"; lock: LockInfo }
  | { held: "elsewhere"; lock: LockInfo }
  | { held: "stale"; lock: LockInfo | null };

/** True when a process with this pid exists on this machine (EPERM means it exists, owned by another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A lock file's text parsed, or null when it is not a whole lock (half-written, or not ours). */
export function parseLock(raw: string): LockInfo | null {
  try {
    const info = JSON.parse(raw) as Partial<LockInfo>;
    return typeof info.pid === "number" && typeof info.host === "string"
      ? { pid: info.pid, host: info.host, since: String(info.since ?? "?") }
      : null;
  } catch {
    return null;
  }
}

/** The lock file's contents, or null when it is missing, unreadable or half-written. */
export function readLock(file: string): LockInfo | null {
  try {
    return parseLock(readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

/** Whether a live writer holds the run folder `dir`, and which one. A pure read: changes nothing. */
export function lockState(dir: string, host: string = hostname()): LockState {
  const file = join(dir, RUN_FILES.lock);
  if (!existsSync(file)) return { held: "free" };
  const lock = readLock(file);
  if (!lock) return { held: "stale", lock: null };
  if (lock.host !== host) return { held: "elsewhere", lock };
  return processAlive(lock.pid) ? { held: "here", lock } : { held: "stale", lock };
}

/** True while a writer (here or on another host) may still be appending to the run. */
export function lockHeld(state: LockState): boolean {
  return state.held === "here" || state.held === "elsewhere";
}

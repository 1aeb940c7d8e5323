/**
 * The `.lock` file that stops two processes writing one run folder. It holds the writer's pid and
 * host; a lock whose process is gone (SIGKILL, power loss) is stale and taken over with a warning.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { RUN_FILES } from "@tessera/shared";
import { processAlive } from "@tessera/shared/runstore";
import { ExitError } from "../errors";

interface LockInfo {
  pid: number;
  host: string;
  since: string;
}

/** The liveness check every lock reader shares (shared/src/runstore/lock.ts). */
export { processAlive };

function readLock(file: string): LockInfo | null {
  try {
    const info = JSON.parse(readFileSync(file, "utf8")) as Partial<LockInfo>;
    return typeof info.pid === "number" && typeof info.host === "string"
      ? { pid: info.pid, host: info.host, since: String(info.since ?? "?") }
      : null;
  } catch {
    return null; // unreadable or half-written: treated as stale
  }
}

/** A held lock; `release()` is idempotent and only removes the file if it is still ours. */
export interface RunLock {
  file: string;
  release(): void;
}

/**
 * Takes the run folder's lock. Refuses (ExitError) when a live process on this host, or any
 * process on another host, holds it; takes over a stale one, calling `warn`.
 */
export function acquireRunLock(dir: string, warn: (message: string) => void = console.warn): RunLock {
  const file = join(dir, RUN_FILES.lock);
  const me: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let tries = 0; tries < 3; tries++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, `${JSON.stringify(me)}\n`);
      closeSync(fd);
      return makeLock(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const held = readLock(file);
    if (held && held.pid === me.pid && held.host === me.host) {
      throw new ExitError(`tessera: run folder ${dir} is already open for writing in this process`);
    }
    if (held && held.host !== me.host) {
      throw new ExitError(
        `tessera: run folder ${dir} is locked by pid ${held.pid} on host ${held.host} (since ${held.since}); ` +
          `if that process is gone, delete ${file}`,
      );
    }
    if (held && processAlive(held.pid)) {
      throw new ExitError(
        `tessera: run folder ${dir} is being written by pid ${held.pid} (since ${held.since}); ` +
          `stop it first, or delete ${file} if that pid is not a tessera process`,
      );
    }
    warn(`tessera: taking over a stale lock on ${dir} (${held ? `pid ${held.pid} is gone` : "unreadable lock file"})`);
    try {
      unlinkSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  throw new ExitError(`tessera: could not take the lock ${file}: another process keeps taking it`);
}

function makeLock(file: string): RunLock {
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off("exit", release);
    const info = readLock(file);
    if (info && info.pid === process.pid && info.host === hostname()) {
      try {
        unlinkSync(file);
      } catch {
        // already gone
      }
    }
  };
  // A normal exit (including process.exit after Ctrl-C) leaves no lock behind; SIGKILL does, and
  // the next writer takes that stale lock over.
  process.on("exit", release);
  return { file, release };
}

/**
 * The `.lock` file that stops two processes writing one run folder. It holds the writer's pid and
 * host; a lock whose process is gone (SIGKILL, power loss) is stale and taken over with a warning.
 */
import { createHash, randomBytes } from "node:crypto";
import { linkSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import { RUN_FILES } from "@tessera/shared";
import { parseLock, processAlive, type LockInfo } from "@tessera/shared/runstore";
import { ExitError } from "../errors";

/** The liveness check and lock parser every lock reader shares (shared/src/runstore/lock.ts). */
export { processAlive };

/** A held lock; `release()` is idempotent and only removes the file if it is still ours. */
export interface RunLock {
  file: string;
  release(): void;
}

/**
 * Takes the run folder's lock. Refuses (ExitError) when a live process on this host, or any
 * process on another host, holds it; takes over a stale one, calling `warn`.
 *
 * Why not "unlink the stale lock, then create": two contenders that both judged the same lock
 * stale could each unlink — the second one deleting the *first one's fresh lock* — and both
 * would hold the run. Instead the lock file is never removed while stale: a contender first
 * claims the right to replace that exact content (an O_EXCL claim file named by its hash), checks
 * the lock still holds that content, and renames its own lock over it. Only one process can own a
 * given claim, and a normal acquirer's O_EXCL create fails while the stale file is still there.
 */
export function acquireRunLock(dir: string, warn: (message: string) => void = console.warn): RunLock {
  const file = join(dir, RUN_FILES.lock);
  const me: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  const mine = `${JSON.stringify({ ...me, nonce: randomBytes(8).toString("hex") })}\n`;
  for (let tries = 0; tries < 50; tries++) {
    if (createExclusive(file, mine)) return makeLock(file, mine);
    const raw = readRaw(file);
    if (raw === null) continue; // released between our create and our read: try again
    const held = parseLock(raw);
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
    const outcome = takeOver(file, raw, mine);
    if (outcome === "taken") {
      warn(`tessera: took over a stale lock on ${dir} (${held ? `pid ${held.pid} is gone` : "unreadable lock file"})`);
      return makeLock(file, mine);
    }
    // "changed": someone else replaced it first (look again); "busy": a live contender is
    // mid-takeover (its claim lasts microseconds), so back off a little.
    if (outcome === "busy") sleepMs(5 + tries);
  }
  throw new ExitError(`tessera: could not take the lock ${file}: another process keeps taking it`);
}

/** Creates `file` holding `content` only if it does not exist, and never half-written. */
function createExclusive(file: string, content: string): boolean {
  // Written aside then hard-linked: link() is atomic and fails with EEXIST, so a reader never
  // sees an empty lock (which it would judge stale) while the writer is between open and write.
  const temp = tempBeside(file);
  writeFileSync(temp, content, { flag: "wx" });
  try {
    linkSync(temp, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    // A file system without hard links (some network and FUSE mounts): plain O_EXCL, whose only
    // weakness is the moment between create and write.
    if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "ENOSYS") {
      try {
        writeFileSync(file, content, { flag: "wx" });
        return true;
      } catch (fallback) {
        if ((fallback as NodeJS.ErrnoException).code === "EEXIST") return false;
        throw fallback;
      }
    }
    throw error;
  } finally {
    unlinkQuiet(temp);
  }
}

/**
 * Replaces the stale lock whose bytes are `stale` with `mine`, if no one beat us to it. The claim
 * file `.lock.takeover-<hash of stale>` is created O_EXCL; if its creator died mid-takeover, the
 * next claim is named after the dead claim too, so the chain cannot jam and never needs deleting
 * a file someone else may be using.
 */
function takeOver(file: string, stale: string, mine: string): "taken" | "changed" | "busy" {
  const prefix = `${file}.takeover-${digest(stale)}`;
  let claim = prefix;
  for (let depth = 0; depth < 8; depth++) {
    // Claims are linked into place whole too: an empty claim read mid-write would look dead.
    if (!createExclusive(claim, mine)) {
      const claimer = readRaw(claim);
      if (claimer === null) continue; // its owner finished and cleaned up: try this name again
      const info = parseLock(claimer);
      if (info && info.host === hostname() && processAlive(info.pid)) return "busy";
      claim = `${prefix}-${digest(claimer)}`;
      continue;
    }
    try {
      if (readRaw(file) !== stale) return "changed";
      const temp = tempBeside(file);
      writeFileSync(temp, mine, { flag: "wx" });
      renameSync(temp, file);
      return "taken";
    } finally {
      // The stale content is gone for good now (or was already), so no claim on it matters.
      for (const name of readdirSync(dirname(file))) {
        const path = join(dirname(file), name);
        if (path.startsWith(prefix)) unlinkQuiet(path);
      }
    }
  }
  return "busy";
}

/** A fresh temp name in `file`'s folder that no claim prefix can match (claim cleanup skips it). */
function tempBeside(file: string): string {
  return join(dirname(file), `.tmp-${basename(file)}-${process.pid}-${randomBytes(4).toString("hex")}`);
}

function readRaw(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** A blocking pause: lock acquisition is synchronous (the writer opens a run before any await). */
function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function makeLock(file: string, mine: string): RunLock {
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off("exit", release);
    if (readRaw(file) === mine) unlinkQuiet(file);
  };
  // A normal exit (including process.exit after Ctrl-C) leaves no lock behind; SIGKILL does, and
  // the next writer takes that stale lock over.
  process.on("exit", release);
  return { file, release };
}

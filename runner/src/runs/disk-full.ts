/**
 * A full disk (or quota) during a run: one clear message instead of a stack trace, `meta.json`
 * still reaching `failed` when no new file can be created, and the half-written temp folders it
 * left (staging folders, `.tmp-` copies) removed: at the failure, since they hold the space the
 * user needs back, and again when the run is next opened.
 */
import {
  closeSync,
  existsSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { RUN_FILES } from "@tessera/shared";
import { ExitError } from "../errors";
import { writeJsonAtomic } from "./atomic";
import { processAlive } from "./lock";

const FULL_CODES = new Set(["ENOSPC", "EDQUOT"]);

/** True for an error that says the disk or the quota is full. */
export function isDiskFull(error: unknown): error is NodeJS.ErrnoException {
  return FULL_CODES.has((error as NodeJS.ErrnoException | null)?.code ?? "");
}

/** The user-facing error for a full disk; with `runId`, met while writing that run (then resumable). */
export function diskFullError(error: NodeJS.ErrnoException, runId: string | null): ExitError {
  const where = error.path ? ` writing ${error.path}` : "";
  return new ExitError(
    runId
      ? `tessera: the disk is full (${error.code})${where}; the run stopped and is marked failed. Free some space, then continue with: tessera run --resume ${runId}`
      : `tessera: the disk is full (${error.code})${where}. Free some space and try again`,
  );
}

/**
 * Writes `meta.json`; when the atomic write (a new temp file) fails for lack of space, rewrites
 * the existing file in place, compact: it is then shorter than the pretty-printed file it
 * replaces, so it needs no new blocks. Not atomic, but the alternative is a folder that says
 * `running` for ever.
 */
export function writeMetaResilient(file: string, meta: unknown): void {
  try {
    writeJsonAtomic(file, meta);
  } catch (error) {
    if (!isDiskFull(error) || !existsSync(file)) throw error;
    const tmp = readdirSync(join(file, "..")).filter((n) => n.startsWith(".meta.json.") && n.endsWith(".tmp"));
    for (const name of tmp) rmSync(join(file, "..", name), { force: true });
    const text = Buffer.from(`${JSON.stringify(meta)}\n`, "utf8");
    const fd = openSync(file, "r+");
    try {
      let done = 0;
      while (done < text.length) done += writeSync(fd, text, done, text.length - done, done);
      ftruncateSync(fd, text.length);
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Removes what an interrupted write left in a run folder: checkpoint temp folders (`.<kind>.tmp-*`,
 * `resume.staging-*`), temp JSON files, and folders set aside by a swap (`.<kind>.old-*`,
 * `resume.old-*`) — put back in place when the swap never completed (the target is missing).
 * Best effort: a file that cannot be removed now is left for the next time.
 */
export function cleanRunTemps(runDir: string): string[] {
  const removed: string[] = [];
  const drop = (path: string) => {
    try {
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // next time
    }
  };
  const checkpoints = join(runDir, RUN_FILES.checkpoints);
  for (const dir of [checkpoints, ...subfolders(checkpoints).filter((d) => /^fold\d+$/.test(d)).map((d) => join(checkpoints, d))]) {
    for (const name of subfolders(dir)) {
      const path = join(dir, name);
      const aside = /^\.?(best|last|resume)\.old-\d+$/.exec(name);
      if (aside) {
        const target = join(dir, aside[1]!);
        if (!existsSync(target)) {
          try {
            renameSync(path, target);
            continue;
          } catch {
            // fall through: removed below only if the target appeared meanwhile
          }
        }
        if (aside[1] === "resume" && existsSync(target)) {
          // The swap completed but the old point was never kept as the previous one: keep it now.
          drop(join(dir, "resume.prev"));
          try {
            renameSync(path, join(dir, "resume.prev"));
            continue;
          } catch {
            // dropped below
          }
        }
        if (existsSync(target)) drop(path);
      } else if (/\.tmp-\d+$/.test(name) || /^(best|last|resume)\.staging-\d+$/.test(name) || /\.\d+\.tmp$/.test(name)) {
        drop(path);
      }
    }
  }
  for (const name of subfolders(runDir)) if (/^\..*\.\d+\.tmp$/.test(name)) drop(join(runDir, name));
  return removed;
}

/**
 * {@link cleanRunTemps} on every run folder under `runsDir` that no process is writing (no lock,
 * or a lock of a dead process on this host; another host's lock counts as live): `tessera run`
 * calls it at start, so a full disk's leftovers do not stay for ever in runs nobody resumes.
 */
export function cleanIdleRunsTemps(runsDir: string): void {
  for (const name of subfolders(runsDir)) {
    const dir = join(runsDir, name);
    if (!existsSync(join(dir, RUN_FILES.meta)) || lockedByLiveWriter(dir)) continue;
    cleanRunTemps(dir);
  }
}

function lockedByLiveWriter(dir: string): boolean {
  const file = join(dir, RUN_FILES.lock);
  if (!existsSync(file)) return false;
  try {
    const info = JSON.parse(readFileSync(file, "utf8")) as { pid?: unknown; host?: unknown };
    if (typeof info.pid !== "number") return true; // unreadable: leave it alone
    if (typeof info.host === "string" && info.host !== hostname()) return true;
    return processAlive(info.pid);
  } catch {
    return true;
  }
}

function subfolders(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

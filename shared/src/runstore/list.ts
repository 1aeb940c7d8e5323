/**
 * `listRuns`: every run folder's meta, its lock state and its progress folded from its events
 * (best and last validation accuracy, current stage and epoch; see `RunProgressFold` for the rule
 * on resumed runs). Cheap enough to poll over 1,000 runs: a per-file cache reads just the bytes
 * appended since last time. `tessera ls` and the dashboard's Runs table both read rows from here.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { RunProgressFold, type RunProgress } from "../epochs";
import { ExitError } from "../errors";
import type { RunMeta } from "../events";
import { RUN_FILES } from "../runfiles";
import { lockState, type LockState } from "./lock";
import { parseEventLine, warnToStderr, type Warn } from "./parse";
import { damagedMeta } from "./damaged";
import { readMeta } from "./reader";

/** One row of `tessera ls` / the dashboard's run list. */
export interface RunListing {
  dir: string;
  meta: RunMeta;
  /** Who holds the run's lock (see `lockState`): a run held `elsewhere` is running on another host. */
  lock: LockState;
  /** `running` in meta.json but no live writer holds the lock: killed, resumable. */
  stale: boolean;
  /** Why meta.json cannot be read (then `meta` is a stand-in from the folder name); null when it can. */
  damaged: string | null;
  last_valid_accuracy: number | null;
  best_valid_accuracy: number | null;
  /** The stage of the latest `stage_started`, and the latest finished epoch in it. */
  stage: string | null;
  epoch: number | null;
  fold: number | null;
  epochs_done: number;
  /** Everything folded from the events (status, stage index, last seq...), for richer tables. */
  progress: RunProgress;
}

interface ScanState {
  offset: number;
  size: number;
  mtimeMs: number;
  fold: RunProgressFold;
}

const cache = new Map<string, ScanState>();

/**
 * Folds the bytes appended to `file` since the last call into its cached progress. Only whole
 * lines are consumed; a partial last line (a write in progress, or torn) is read again next time.
 */
export function scanEvents(file: string, warn: Warn = warnToStderr): RunProgressFold {
  const empty = (): ScanState => ({ offset: 0, size: 0, mtimeMs: 0, fold: new RunProgressFold() });
  if (!existsSync(file)) return empty().fold;
  const stat = statSync(file);
  let state = cache.get(file);
  if (!state || stat.size < state.offset) state = empty();
  if (stat.size === state.size && stat.mtimeMs === state.mtimeMs) return state.fold;
  const fd = openSync(file, "r");
  try {
    const buffer = Buffer.alloc(stat.size - state.offset);
    const n = readSync(fd, buffer, 0, buffer.length, state.offset);
    const end = buffer.subarray(0, n).lastIndexOf(0x0a);
    for (const line of buffer
      .subarray(0, end + 1)
      .toString("utf8")
      .split("\n")) {
      if (!line.trim()) continue;
      const e = parseEventLine(line, file, warn);
      if (e) state.fold.add(e);
    }
    state.offset += end + 1;
  } finally {
    closeSync(fd);
  }
  state.size = stat.size;
  state.mtimeMs = stat.mtimeMs;
  cache.set(file, state);
  return state.fold;
}

/** The listing row of one run folder whose meta.json has been read. */
export function listingOf(
  dir: string,
  meta: RunMeta,
  warn: Warn = warnToStderr,
  damaged: string | null = null,
): RunListing {
  const progress = scanEvents(join(dir, RUN_FILES.events), warn).progress();
  const lock = lockState(dir);
  return {
    dir,
    meta,
    lock,
    damaged,
    stale: !damaged && meta.status === "running" && !(lock.held === "here" || lock.held === "elsewhere"),
    last_valid_accuracy: progress.last_valid_accuracy,
    best_valid_accuracy: progress.best_valid_accuracy,
    stage: progress.stage,
    epoch: progress.epoch,
    fold: progress.fold,
    epochs_done: progress.epochs_done,
    progress,
  };
}

/** Lists the runs under `runsDir`, newest first (ids start with their UTC start time). */
export async function listRuns(runsDir: string, opts: { warn?: Warn } = {}): Promise<RunListing[]> {
  const warn = opts.warn ?? warnToStderr;
  const root = resolve(runsDir);
  if (!existsSync(root)) return [];
  if (!statSync(root).isDirectory()) throw new ExitError(`${root}: not a folder (the runs dir must be one)`);
  const rows: RunListing[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = join(root, entry.name);
    if (!existsSync(join(dir, RUN_FILES.meta))) continue;
    try {
      rows.push(listingOf(dir, readMeta(dir), warn));
    } catch (error) {
      // Listed, not skipped: a run that vanished from `ls` over a cut meta.json was lost to its user.
      rows.push(listingOf(dir, damagedMeta(dir), warn, (error as Error).message));
    }
  }
  return rows.sort((a, b) => (a.meta.id < b.meta.id ? 1 : a.meta.id > b.meta.id ? -1 : 0));
}

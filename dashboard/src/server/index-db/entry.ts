/**
 * One run folder as the index stores it, read through the shared run-store reader (meta.json and
 * the incremental `scanEvents` fold that `tessera ls` uses), and the Runs table row made from it.
 * The file-based listing (no index) and the index make rows with the same two functions, so the
 * two cannot disagree.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { RUN_FILES, type RunMeta, type RunStatus } from "@tessera/shared";
import { lockHeld, lockState, readMeta, scanEvents } from "@tessera/shared/runstore";

/** One line of the Runs table. */
export interface RunRow {
  id: string;
  name: string;
  status: RunStatus;
  started: string;
  ended: string | null;
  /** Seconds from start to end (or to now while running). */
  seconds: number;
  backend: string | null;
  configHash: string;
  bestAccuracy: number | null;
  lastAccuracy: number | null;
  stage: string | null;
  stageIndex: number | null;
  epoch: number | null;
  epochs: number | null;
  lastSeq: number;
  /** Status says running but the writing process is gone (killed, crashed): resumable, not live. */
  stale: boolean;
  /** A sweep's trial: the sweep id and trial index; null for a run of its own. */
  sweep: string | null;
  trial: number | null;
}

/**
 * What the index keeps of one run: the row's stored fields (not the two computed when the row is
 * made: `seconds` runs on with the clock, `stale` asks the lock) plus what tells a change.
 */
export type RunEntry = Omit<RunRow, "seconds" | "stale"> & {
  /** meta.ended, else (not running) the last event's time, as ms; null while running or unknown. */
  endMs: number | null;
  /** Searchable labels of the run folder: `sweep:<id>`, `trial:<n>`, `host:<name>`. */
  tags: string[];
  metaSig: string;
  eventsSig: string;
};

/** "mtimeMs:size" of a file, or "-" when it is missing: equal signatures mean nothing to re-read. */
export function fileSig(file: string): string {
  const s = statSync(file, { throwIfNoEntry: false });
  return s ? `${s.mtimeMs}:${s.size}` : "-";
}

function tagsOf(meta: RunMeta): string[] {
  const tags = [`host:${meta.host}`];
  if (meta.sweep) tags.push(`sweep:${meta.sweep}`);
  if (meta.trial !== undefined) tags.push(`trial:${meta.trial}`);
  return tags;
}

/** Reads run `id` under `root`; null when its meta.json is missing, unreadable or of another format. */
export function readRunEntry(root: string, id: string): RunEntry | null {
  const dir = join(root, id);
  const metaFile = join(dir, RUN_FILES.meta);
  const eventsFile = join(dir, RUN_FILES.events);
  // Signatures first: a write landing between them and the read makes the next sync read again.
  const metaSig = fileSig(metaFile);
  const eventsSig = fileSig(eventsFile);
  if (metaSig === "-") return null;
  let meta: RunMeta;
  try {
    meta = readMeta(dir);
  } catch {
    return null;
  }
  const f = scanEvents(eventsFile, () => {}).progress();
  const status = meta.status !== "running" ? meta.status : (f.status ?? meta.status);
  const end = meta.ended ?? (status === "running" ? null : f.last_time);
  return {
    id,
    name: meta.name,
    status,
    started: meta.started,
    ended: meta.ended,
    endMs: end ? Date.parse(end) : null,
    backend: meta.backend?.name ?? null,
    configHash: meta.config_hash,
    bestAccuracy: f.best_valid_accuracy,
    lastAccuracy: f.last_valid_accuracy,
    stage: f.stage,
    stageIndex: f.stage_index,
    epoch: f.epoch,
    epochs: f.stage_epochs,
    lastSeq: f.last_seq,
    sweep: meta.sweep ?? null,
    trial: meta.trial ?? null,
    tags: tagsOf(meta),
    metaSig,
    eventsSig,
  };
}

/** The Runs table row of an entry, `now` for a running run's duration; `stale` checks the lock. */
export function toRunRow(e: RunEntry, root: string, now = Date.now()): RunRow {
  // Everything but what only the index needs goes to the row, which the browser receives.
  const { endMs: entryEndMs, tags: _tags, metaSig: _metaSig, eventsSig: _eventsSig, ...stored } = e;
  const endMs = entryEndMs ?? (e.status === "running" ? now : null);
  return {
    ...stored,
    seconds: endMs === null ? 0 : Math.max(0, (endMs - Date.parse(e.started)) / 1000),
    stale: e.status === "running" && !lockHeld(lockState(join(root, e.id))),
  };
}

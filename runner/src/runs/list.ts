/**
 * `listRuns`: every run folder's meta plus a few fields derived from its events (best and last
 * validation accuracy, current stage and epoch). Cheap enough to poll over 1,000 runs: only
 * stage-level lines are parsed, and a per-file cache reads just the bytes appended since last time.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { RUN_FILES, type RunMeta } from "@tessera/shared";
import { ExitError } from "../errors";
import { processAlive } from "./lock";
import { parseEventLine, warnToStderr, type Warn } from "./parse";
import { damagedMeta } from "./damaged";
import { readMeta } from "./reader";

/** One row of `tessera ls` / the dashboard's run list. */
export interface RunListing {
  dir: string;
  meta: RunMeta;
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
}

interface EpochPoint {
  seq: number;
  stage: string;
  epoch: number;
  fold: number | null;
  acc: number;
}

interface ScanState {
  offset: number;
  size: number;
  mtimeMs: number;
  epochs: EpochPoint[];
  resumed: [number, number][];
  stage: { seq: number; name: string; fold: number | null } | null;
}

const cache = new Map<string, ScanState>();
const INTERESTING = /"type":"(epoch|stage_started|run_resumed)"/;

function scan(file: string, warn: Warn): ScanState {
  const stat = statSync(file);
  let state = cache.get(file);
  if (!state || stat.size < state.offset) {
    state = { offset: 0, size: 0, mtimeMs: 0, epochs: [], resumed: [], stage: null };
  }
  if (stat.size === state.size && stat.mtimeMs === state.mtimeMs) return state;
  const fd = openSync(file, "r");
  try {
    const buffer = Buffer.alloc(stat.size - state.offset);
    const n = readSync(fd, buffer, 0, buffer.length, state.offset);
    const end = buffer.subarray(0, n).lastIndexOf(0x0a);
    // Only whole lines are consumed; a partial last line is read again next time.
    const text = buffer.subarray(0, end + 1).toString("utf8");
    for (const line of text.split("\n")) {
      if (!INTERESTING.test(line)) continue;
      const e = parseEventLine(line, file, warn);
      if (!e) continue;
      if (e.type === "epoch") {
        state.epochs.push({ seq: e.seq, stage: e.stage, epoch: e.epoch, fold: e.fold ?? null, acc: e.valid_accuracy });
      } else if (e.type === "stage_started") {
        state.stage = { seq: e.seq, name: e.stage, fold: e.fold ?? null };
      } else if (e.type === "run_resumed") {
        state.resumed.push([e.superseded_after_seq, e.seq]);
      }
    }
    state.offset += end + 1;
  } finally {
    closeSync(fd);
  }
  state.size = stat.size;
  state.mtimeMs = stat.mtimeMs;
  cache.set(file, state);
  return state;
}

function derive(state: ScanState): Omit<RunListing, "dir" | "meta" | "stale" | "damaged"> {
  const live = (seq: number) => !state.resumed.some(([after, until]) => seq > after && seq < until);
  const epochs = state.epochs.filter((p) => live(p.seq));
  const last = epochs.at(-1);
  const stage = state.stage;
  const inStage = stage ? epochs.filter((p) => p.seq > stage.seq) : [];
  return {
    last_valid_accuracy: last?.acc ?? null,
    best_valid_accuracy: epochs.length ? Math.max(...epochs.map((p) => p.acc)) : null,
    stage: stage?.name ?? null,
    epoch: inStage.at(-1)?.epoch ?? null,
    fold: stage?.fold ?? null,
    epochs_done: epochs.length,
  };
}

function lockIsLive(dir: string): boolean {
  try {
    const info = JSON.parse(readFileSync(join(dir, RUN_FILES.lock), "utf8")) as { pid?: number };
    return typeof info.pid === "number" && processAlive(info.pid);
  } catch {
    return false;
  }
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
    let meta: RunMeta;
    let damaged: string | null = null;
    try {
      meta = readMeta(dir);
    } catch (error) {
      damaged = (error as Error).message;
      meta = damagedMeta(dir);
    }
    const eventsFile = join(dir, RUN_FILES.events);
    const derived = existsSync(eventsFile) ? derive(scan(eventsFile, warn)) : derive(emptyState());
    rows.push({ dir, meta, damaged, stale: !damaged && meta.status === "running" && !lockIsLive(dir), ...derived });
  }
  return rows.sort((a, b) => (a.meta.id < b.meta.id ? 1 : a.meta.id > b.meta.id ? -1 : 0));
}

function emptyState(): ScanState {
  return { offset: 0, size: 0, mtimeMs: 0, epochs: [], resumed: [], stage: null };
}

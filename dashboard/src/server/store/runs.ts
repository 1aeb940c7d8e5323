/**
 * Reading runs for the dashboard: one row per run folder for the Runs table, and one whole run
 * for the Run page. Rows are kept up to date incrementally (only bytes appended since the last
 * poll are parsed), unlike the runner's `listRuns`, which re-reads every file: the Runs page
 * polls every 2 s and must stay cheap with 1,000 runs. Live events come from the runner's
 * `tailEvents`; superseded batches are dropped with the runner's `dropSuperseded`.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import {
  FORMAT,
  RUN_FILES,
  isSafeRunId,
  type RunEvent,
  type RunMeta,
  type RunStatus,
  type RunSummary,
} from "@tessera/shared";
import { hostname } from "node:os";
import { processAlive } from "@tessera/runner/runs/lock";
import { dropSuperseded } from "@tessera/runner/runs/parse";
import { readNewEvents, type JsonlCursor } from "./jsonl";
import { resolveRunDir, runsDir } from "./paths";

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
}

interface Folded {
  status: RunStatus | null;
  best: number | null;
  last: number | null;
  stage: string | null;
  stageIndex: number | null;
  epoch: number | null;
  epochs: number | null;
  lastSeq: number;
  lastTime: string | null;
}

const emptyFold = (): Folded => ({
  status: null,
  best: null,
  last: null,
  stage: null,
  stageIndex: null,
  epoch: null,
  epochs: null,
  lastSeq: -1,
  lastTime: null,
});

/** Folds one event into the row summary; the events are the live truth, meta.json may lag. */
export function foldEvent(f: Folded, e: RunEvent): void {
  f.lastSeq = Math.max(f.lastSeq, e.seq);
  f.lastTime = e.time;
  switch (e.type) {
    case "stage_started":
      f.stage = e.stage;
      f.stageIndex = e.index;
      f.epochs = e.epochs;
      f.epoch = null;
      break;
    case "epoch":
      f.last = e.valid_accuracy;
      f.best = f.best === null ? e.valid_accuracy : Math.max(f.best, e.valid_accuracy);
      f.stage = e.stage;
      f.epoch = e.epoch;
      break;
    case "run_started":
    case "run_resumed":
      f.status = "running";
      break;
    case "run_finished":
      f.status = "finished";
      break;
    case "run_failed":
      f.status = "failed";
      break;
    case "run_interrupted":
      f.status = "interrupted";
      break;
    case "run_stopped_early":
      f.status = "stopped_early";
      break;
    default:
      break;
  }
}

interface CacheEntry {
  cursor: JsonlCursor;
  fold: Folded;
  meta: RunMeta | null;
  metaMtime: number;
}
const cache = new Map<string, CacheEntry>();

async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as T;
  } catch {
    return null;
  }
}

/**
 * Whether the process holding the run's `.lock` still exists (same check as the runner's
 * `listRuns`). A lock from another host cannot be checked here and counts as alive.
 */
async function writerAlive(dir: string): Promise<boolean> {
  const lock = await readJson<{ pid?: number; host?: string }>(join(dir, RUN_FILES.lock));
  if (!lock || typeof lock.pid !== "number") return false;
  if (lock.host && lock.host !== hostname()) return true;
  return processAlive(lock.pid);
}

/** The current row of one run folder, or null when it is not a readable run. */
async function rowOf(id: string, dir: string): Promise<RunRow | null> {
  let entry = cache.get(dir);
  if (!entry) {
    entry = { cursor: { offset: 0 }, fold: emptyFold(), meta: null, metaMtime: -1 };
    cache.set(dir, entry);
  }
  const metaFile = join(dir, RUN_FILES.meta);
  const mtime = await stat(metaFile).then(
    (s) => s.mtimeMs,
    () => -1,
  );
  if (mtime < 0) return null;
  if (mtime !== entry.metaMtime) {
    entry.meta = await readJson<RunMeta>(metaFile);
    entry.metaMtime = mtime;
  }
  const meta = entry.meta;
  if (!meta || meta.format !== FORMAT) return null;
  const eventsFile = join(dir, RUN_FILES.events);
  // one stat per poll for a run that did not move; open and parse only when it grew
  const size = await stat(eventsFile).then(
    (s) => s.size,
    () => 0,
  );
  if (size !== entry.cursor.offset)
    for (const e of await readNewEvents(eventsFile, entry.cursor)) foldEvent(entry.fold, e);
  const f = entry.fold;
  const status = meta.status !== "running" ? meta.status : (f.status ?? meta.status);
  const end = meta.ended ?? (status === "running" ? new Date().toISOString() : f.lastTime);
  return {
    id,
    stale: status === "running" && !(await writerAlive(dir)),
    name: meta.name,
    status,
    started: meta.started,
    ended: meta.ended,
    seconds: end ? Math.max(0, (Date.parse(end) - Date.parse(meta.started)) / 1000) : 0,
    backend: meta.backend?.name ?? null,
    configHash: meta.config_hash,
    bestAccuracy: f.best,
    lastAccuracy: f.last,
    stage: f.stage,
    stageIndex: f.stageIndex,
    epoch: f.epoch,
    epochs: f.epochs,
    lastSeq: f.lastSeq,
  };
}

/** Every readable run in the store, newest first. */
export async function listRunRows(root: string = runsDir()): Promise<RunRow[]> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const ids = entries.filter((d) => d.isDirectory() && isSafeRunId(d.name)).map((d) => d.name);
  const rows = await Promise.all(ids.map((id) => rowOf(id, join(root, id))));
  return rows.filter((r): r is RunRow => r !== null).sort((a, b) => b.started.localeCompare(a.started));
}

/** One top-loss thumbnail, labelled from `top_losses/top_losses.json` (the runner's index) when present. */
export interface TopLoss {
  /** Thumbnail file name inside `top_losses/`. */
  file: string;
  key?: string;
  actual?: string;
  predicted?: string;
  loss?: number;
  probability?: number;
}

/** Everything about one run except its events (those stream through `runs.events`). */
export interface RunDetail {
  id: string;
  meta: RunMeta;
  summary: RunSummary | null;
  configYaml: string;
  row: RunRow | null;
  /** The stages the config plans, for the ETA. */
  plan: { name: string; epochs: number }[];
  topLosses: TopLoss[];
}

function planOf(configYaml: string): { name: string; epochs: number }[] {
  try {
    const config = parse(configYaml) as { train?: { stages?: { name?: string; epochs?: number }[] } };
    return (config.train?.stages ?? []).map((s, i) => ({ name: s.name ?? `stage${i}`, epochs: s.epochs ?? 0 }));
  } catch {
    return [];
  }
}

async function topLossesOf(dir: string): Promise<TopLoss[]> {
  const folder = join(dir, RUN_FILES.topLosses);
  const files = (await readdir(folder).catch(() => [] as string[])).filter((f) => /\.(png|jpe?g|webp)$/i.test(f));
  const index = await readJson<(Omit<TopLoss, "file"> & { image?: string })[]>(join(folder, "top_losses.json"));
  if (Array.isArray(index)) {
    return index
      .map(({ image, ...row }) => ({ ...row, file: (image ?? "").replace(/^.*\//, "") }))
      .filter((t) => files.includes(t.file));
  }
  return files.sort((a, b) => a.localeCompare(b, undefined, { numeric: true })).map((file) => ({ file }));
}

/** Reads one run by id; null when the folder has no readable meta.json. */
export async function readRunDetail(id: string): Promise<RunDetail | null> {
  const dir = resolveRunDir(id);
  const meta = await readJson<RunMeta>(join(dir, RUN_FILES.meta));
  if (!meta || meta.format !== FORMAT) return null;
  const summary = await readJson<RunSummary>(join(dir, RUN_FILES.summary));
  const configYaml = await readFile(join(dir, RUN_FILES.config), "utf8").catch(() => "");
  return {
    id,
    meta,
    summary,
    configYaml,
    row: await rowOf(id, dir),
    plan: planOf(configYaml),
    topLosses: await topLossesOf(dir),
  };
}

/** All events of a run (for compare), superseded batch lines dropped. */
export async function readAllEvents(id: string): Promise<RunEvent[]> {
  const events = await readNewEvents(join(resolveRunDir(id), RUN_FILES.events), { offset: 0 });
  return dropSuperseded(events);
}

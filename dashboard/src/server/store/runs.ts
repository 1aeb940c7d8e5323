/**
 * Reading runs for the dashboard: one row per run folder for the Runs table, and one whole run
 * for the Run page. Rows come from the shared run-store read side (`@tessera/shared/runstore`),
 * the same fold `tessera ls` prints: only bytes appended since the last poll are parsed, so the
 * Runs page can poll every 2 s over 1,000 runs, and a resumed run's superseded epochs never count.
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
import { lockHeld, lockState, readEvents, scanEvents } from "@tessera/shared/runstore";
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

interface CacheEntry {
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

/** The current row of one run folder, or null when it is not a readable run. */
async function rowOf(id: string, dir: string): Promise<RunRow | null> {
  let entry = cache.get(dir);
  if (!entry) {
    entry = { meta: null, metaMtime: -1 };
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
  const f = scanEvents(join(dir, RUN_FILES.events)).progress();
  const status = meta.status !== "running" ? meta.status : (f.status ?? meta.status);
  const end = meta.ended ?? (status === "running" ? new Date().toISOString() : f.last_time);
  return {
    id,
    stale: status === "running" && !lockHeld(lockState(dir)),
    name: meta.name,
    status,
    started: meta.started,
    ended: meta.ended,
    seconds: end ? Math.max(0, (Date.parse(end) - Date.parse(meta.started)) / 1000) : 0,
    backend: meta.backend?.name ?? null,
    configHash: meta.config_hash,
    bestAccuracy: f.best_valid_accuracy,
    lastAccuracy: f.last_valid_accuracy,
    stage: f.stage,
    stageIndex: f.stage_index,
    epoch: f.epoch,
    epochs: f.stage_epochs,
    lastSeq: f.last_seq,
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
  const index = await readJson<(Omit<TopLoss, "file"> & { image?: string })[]>(join(dir, RUN_FILES.topLossesIndex));
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

/** All events of a run that count (torn lines skipped, events a resume superseded dropped). */
export async function readAllEvents(id: string): Promise<RunEvent[]> {
  return readEvents(resolveRunDir(id));
}

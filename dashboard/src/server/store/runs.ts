/**
 * Reading runs for the dashboard: the Runs table (a query on the SQLite run index, see
 * `../index-db`), and one whole run for the Run page. Rows come from the shared run-store read side
 * (`@tessera/shared/runstore`), the same fold `tessera ls` prints, so a resumed run's superseded
 * epochs never count; without the index the same rows are read from the folders.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { FORMAT, RUN_FILES, type RunEvent, type RunMeta, type RunSummary } from "@tessera/shared";
import { readEvents } from "@tessera/shared/runstore";
import { withRunIndex } from "../index-db/current";
import { readRunEntry, toRunRow, type RunRow } from "../index-db/entry";
import { runIds, type RunQuery } from "../index-db/runs-table";
import { resolveRunDir, runsDir } from "./paths";

export type { RunRow };

async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as T;
  } catch {
    return null;
  }
}

/** The file-based row of run `id` (no index): the same `readRunEntry` + `toRunRow` the index uses. */
function rowOf(id: string, root: string): RunRow | null {
  const entry = readRunEntry(root, id);
  return entry ? toRunRow(entry, root) : null;
}

/** Every readable run in the store, newest first, read from the folders (the index's reference). */
export async function listRunRows(root: string = runsDir()): Promise<RunRow[]> {
  const rows = runIds(root).map((id) => rowOf(id, root));
  // Newest first; equal start times by id, newest first, as the index orders them.
  return rows
    .filter((r): r is RunRow => r !== null)
    .sort((a, b) => b.started.localeCompare(a.started) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

function compareRows(key: RunQuery["sort"]): (a: RunRow, b: RunRow) => number {
  return (a, b) => {
    const x = a[key];
    const y = b[key];
    if (x === y) return 0;
    if (x === null) return -1;
    if (y === null) return 1;
    return typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
  };
}

/** The Runs list without the index: filter, sort and page the folder-read rows in memory. */
async function queryFromFiles(q: RunQuery): Promise<{ total: number; rows: RunRow[] }> {
  let rows = await listRunRows();
  if (q.q) {
    const needle = q.q.toLowerCase();
    rows = rows.filter((r) => [r.name, r.id, r.sweep ?? ""].some((s) => s.toLowerCase().includes(needle)));
  }
  if (q.status?.length) rows = rows.filter((r) => q.status!.includes(r.status));
  if (q.configHash) rows = rows.filter((r) => r.configHash.startsWith(q.configHash!));
  if (q.sweep) rows = rows.filter((r) => r.sweep === q.sweep);
  const sign = q.dir === "asc" ? 1 : -1;
  const cmp = compareRows(q.sort);
  rows.sort((a, b) => sign * cmp(a, b));
  return { total: rows.length, rows: rows.slice(q.offset, q.offset + q.limit) };
}

/** One page of the Runs list: a query on the run index, or on the folders when SQLite is unusable. */
export async function queryRuns(q: RunQuery): Promise<{ total: number; rows: RunRow[] }> {
  return withRunIndex(
    (index) => index.listRuns(q),
    () => queryFromFiles(q),
  );
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
    row: rowOf(id, runsDir()),
    plan: planOf(configYaml),
    topLosses: await topLossesOf(dir),
  };
}

/** All events of a run that count (torn lines skipped, events a resume superseded dropped). */
export async function readAllEvents(id: string): Promise<RunEvent[]> {
  return readEvents(resolveRunDir(id));
}

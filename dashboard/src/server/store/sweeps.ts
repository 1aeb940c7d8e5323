/**
 * The sweep store as the dashboard reads it: `sweeps/<id>/` (sweep.json, trials.jsonl), folded by
 * the shared `foldTrials`, so the table here is the one `tessera sweep show` prints.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  DEFAULT_SWEEPS_DIR,
  SWEEP_FILES,
  foldTrials,
  isSafeRunId,
  type SweepState,
  type TrialRecord,
} from "@tessera/shared";
import { open } from "node:fs/promises";
import { PathRefusedError } from "./paths";

/** The sweeps folder, absolute; env `TESSERA_SWEEPS_DIR`, read per call so tests can point it elsewhere. */
export function sweepsDir(): string {
  return resolve(/*turbopackIgnore: true*/ process.env.TESSERA_SWEEPS_DIR ?? DEFAULT_SWEEPS_DIR);
}

/** The folder of sweep `id`; refuses anything that is not a plain id. */
export function resolveSweepDir(id: string): string {
  if (!isSafeRunId(id)) throw new PathRefusedError(`sweep id ${JSON.stringify(id)} is not a sweep id`);
  return join(sweepsDir(), id);
}

/** Parses complete JSONL lines, skipping blank and malformed ones (a torn line from a killed writer). */
function parseRecords(text: string): TrialRecord[] {
  const out: TrialRecord[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const value = JSON.parse(line) as TrialRecord;
      if (value && value.format === 1 && typeof value.seq === "number") out.push(value);
    } catch {
      // skipped; the next read after the writer finishes the line sees it whole
    }
  }
  return out;
}

export function readRecords(dir: string): TrialRecord[] {
  const file = join(dir, SWEEP_FILES.trials);
  return existsSync(file) ? parseRecords(readFileSync(file, "utf8")) : [];
}

/** The complete lines appended since `cursor.offset` (which it advances): the live subscription's read. */
export async function readNewRecords(file: string, cursor: { offset: number }): Promise<TrialRecord[]> {
  let handle;
  try {
    handle = await open(file, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size <= cursor.offset) return [];
    const buffer = Buffer.alloc(size - cursor.offset);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, cursor.offset);
    const end = buffer.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (end < 0) return [];
    const text = buffer.subarray(0, end).toString("utf8");
    cursor.offset += end + 1;
    return parseRecords(text);
  } finally {
    await handle.close();
  }
}

export interface SweepRow {
  id: string;
  status: SweepState["status"];
  metric: string;
  mode: "max" | "min";
  trials: number;
  planned: number;
  best: { trial: number; runId: string; objective: number | null } | null;
}

export function listSweepRows(): SweepRow[] {
  const root = sweepsDir();
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((id) => isSafeRunId(id) && existsSync(join(root, id, SWEEP_FILES.meta)))
    .sort()
    .reverse()
    .map((id) => {
      const state = foldTrials(readRecords(join(root, id)));
      const best = state.trials.find((t) => t.trial === state.best);
      return {
        id,
        status: state.status,
        metric: state.metric,
        mode: state.mode,
        trials: state.trials.length,
        planned: state.planned,
        best: best ? { trial: best.trial, runId: best.run_id, objective: best.objective } : null,
      };
    });
}

/** sweep.json of one sweep, or null when there is no such sweep. */
export function readSweepMeta(id: string): Record<string, unknown> | null {
  const file = join(resolveSweepDir(id), SWEEP_FILES.meta);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>) : null;
}

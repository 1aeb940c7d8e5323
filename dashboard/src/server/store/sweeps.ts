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
import { parseLines } from "./jsonl";
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

export function readRecords(dir: string): TrialRecord[] {
  const file = join(dir, SWEEP_FILES.trials);
  return existsSync(file) ? (parseLines(readFileSync(file, "utf8")) as unknown as TrialRecord[]) : [];
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

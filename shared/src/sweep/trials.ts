/**
 * A sweep folder's records: `sweeps/<id>/trials.jsonl` (append-only, one JSON object a line, like a
 * run's events) and `summary.json`. `foldTrials` turns the lines into the trial table; the runner,
 * `sweep show`, the report and the dashboard all read a sweep through it.
 */
import type { TrialParams } from "./sample";

/** Files of `sweeps/<id>/`. */
export const SWEEP_FILES = {
  spec: "sweep.yaml",
  trials: "trials.jsonl",
  summary: "summary.json",
  meta: "sweep.json",
  logs: "logs",
  lock: ".lock",
  /** The backend the sweep's first trial resolved `auto` to, handed to later trials (no probe). */
  backend: "backend",
} as const;

/** Sweeps live beside the runs dir by default: `<runs dir>/../sweeps`; env `TESSERA_SWEEPS_DIR`. */
export const DEFAULT_SWEEPS_DIR = "sweeps";

export type TrialStatus = "running" | "paused" | "finished" | "stopped_early" | "failed" | "interrupted";
export type SweepStatus = "running" | "finished" | "interrupted" | "failed";

export type TrialRecordBody =
  | {
      type: "sweep_started";
      sweep_id: string;
      method: string;
      metric: string;
      mode: "max" | "min";
      trials: number;
      parallel: number;
      seed: number;
      /** Epochs of a whole trial and, for ASHA, of each rung. */
      epochs: number;
      rungs: number[] | null;
    }
  | { type: "sweep_resumed" }
  | {
      type: "trial_started";
      trial: number;
      run_id: string;
      params: TrialParams;
      config_hash: string;
      /** The sampler's state after this draw: the next trial drawn is `next_index`. */
      sampler: { seed: number; next_index: number };
      /** Epochs this segment trains to (ASHA's next rung), or null for the whole schedule. */
      target_epochs: number | null;
    }
  | {
      type: "trial_resumed";
      trial: number;
      run_id: string;
      reason: "promoted" | "crashed" | "interrupted";
      target_epochs: number | null;
    }
  | { type: "rung_reached"; trial: number; run_id: string; rung: number; epochs: number; value: number | null }
  | { type: "trial_finished"; trial: number; run_id: string; objective: number | null; epochs: number }
  | { type: "trial_stopped"; trial: number; run_id: string; objective: number | null; rung: number; epochs: number }
  | { type: "trial_failed"; trial: number; run_id: string; error: string }
  | { type: "trial_interrupted"; trial: number; run_id: string }
  | { type: "sweep_interrupted" }
  | { type: "sweep_finished"; best: number | null };

export type TrialRecord = { format: 1; seq: number; time: string } & TrialRecordBody;

/** One row of the trial table. */
export interface TrialRow {
  trial: number;
  run_id: string;
  params: TrialParams;
  config_hash: string;
  status: TrialStatus;
  /** Highest rung reached (ASHA), or null. */
  rung: number | null;
  /** Epochs of the schedule trained so far (at the last record). */
  epochs: number;
  /** The epoch budget of its latest segment (ASHA's rung), or null for the whole schedule. */
  target_epochs: number | null;
  objective: number | null;
  error: string | null;
  started: string;
  ended: string | null;
}

/** The folded state of a sweep. */
export interface SweepState {
  id: string | null;
  status: SweepStatus;
  metric: string;
  mode: "max" | "min";
  planned: number;
  parallel: number;
  rungs: number[] | null;
  trials: TrialRow[];
  /** The next random draw's index (the sampler's state). */
  nextIndex: number;
  /** Best finished-or-stopped trial by the objective, or null. */
  best: number | null;
  /** Best objective so far after each trial result, in time order (the dashboard's chart). */
  bestSoFar: { time: string; trial: number; value: number }[];
}

/** Folds trials.jsonl records (in file order) into the trial table. */
export function foldTrials(records: readonly TrialRecord[]): SweepState {
  const state: SweepState = {
    id: null,
    status: "running",
    metric: "valid.accuracy",
    mode: "max",
    planned: 0,
    parallel: 1,
    rungs: null,
    trials: [],
    nextIndex: 0,
    best: null,
    bestSoFar: [],
  };
  const rows = new Map<number, TrialRow>();
  const better = (a: number, b: number) => (state.mode === "max" ? a > b : a < b);
  const result = (row: TrialRow, value: number | null, time: string) => {
    row.objective = value;
    if (value === null || !Number.isFinite(value)) return;
    const last = state.bestSoFar.at(-1);
    if (!last || better(value, last.value)) state.bestSoFar.push({ time, trial: row.trial, value });
  };
  for (const r of records) {
    const row = "trial" in r ? rows.get(r.trial) : undefined;
    switch (r.type) {
      case "sweep_started":
        Object.assign(state, {
          id: r.sweep_id,
          metric: r.metric,
          mode: r.mode,
          planned: r.trials,
          parallel: r.parallel,
          rungs: r.rungs,
        });
        break;
      case "sweep_resumed":
        state.status = "running";
        break;
      case "trial_started":
        rows.set(r.trial, {
          trial: r.trial,
          run_id: r.run_id,
          params: r.params,
          config_hash: r.config_hash,
          status: "running",
          rung: null,
          epochs: 0,
          target_epochs: r.target_epochs,
          objective: null,
          error: null,
          started: r.time,
          ended: null,
        });
        state.nextIndex = Math.max(state.nextIndex, r.sampler.next_index);
        break;
      case "trial_resumed":
        if (row) Object.assign(row, { status: "running", ended: null, target_epochs: r.target_epochs });
        break;
      case "rung_reached":
        if (row) Object.assign(row, { status: "paused", rung: r.rung, epochs: r.epochs });
        if (row) result(row, r.value, r.time);
        break;
      case "trial_finished":
        if (row) Object.assign(row, { status: "finished", epochs: r.epochs, ended: r.time });
        if (row) result(row, r.objective, r.time);
        break;
      case "trial_stopped":
        if (row)
          Object.assign(row, {
            status: "stopped_early",
            rung: r.rung,
            epochs: r.epochs,
            objective: r.objective,
            ended: r.time,
          });
        break;
      case "trial_failed":
        if (row) Object.assign(row, { status: "failed", error: r.error, ended: r.time });
        break;
      case "trial_interrupted":
        if (row) Object.assign(row, { status: "interrupted" });
        break;
      case "sweep_interrupted":
        state.status = "interrupted";
        break;
      case "sweep_finished":
        state.status = "finished";
        break;
    }
  }
  state.trials = [...rows.values()].sort((a, b) => a.trial - b.trial);
  state.best = bestTrial(state.trials, state.mode);
  return state;
}

/** The trial with the best objective among those that have one (ties: the earlier trial). */
export function bestTrial(rows: readonly TrialRow[], mode: "max" | "min"): number | null {
  let best: TrialRow | null = null;
  for (const row of rows) {
    if (row.objective === null || !Number.isFinite(row.objective)) continue;
    if (!best || (mode === "max" ? row.objective > best.objective! : row.objective < best.objective!)) best = row;
  }
  return best?.trial ?? null;
}

/** Rows sorted by the objective, best first; trials without one last, by index. */
export function sortByObjective(rows: readonly TrialRow[], mode: "max" | "min"): TrialRow[] {
  const sign = mode === "max" ? -1 : 1;
  return [...rows].sort((a, b) => {
    if (a.objective === null || b.objective === null)
      return (a.objective === null ? 1 : 0) - (b.objective === null ? 1 : 0) || a.trial - b.trial;
    return sign * (a.objective - b.objective) || a.trial - b.trial;
  });
}

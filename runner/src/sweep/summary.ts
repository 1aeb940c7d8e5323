/** `summary.json` of a sweep: its status, the best trial and the table sorted by the objective. */
import { sortByObjective, type ResolvedSweep, type SweepState, type TrialRow } from "@tessera/shared";

export interface SweepSummary {
  format: 1;
  id: string | null;
  status: SweepState["status"];
  method: ResolvedSweep["method"];
  metric: string;
  mode: "max" | "min";
  planned: number;
  /** Epochs trained over every trial: what the sweep cost. */
  epochs_trained: number;
  /** Epochs of one whole trial. */
  epochs_per_trial: number;
  best: TrialRow | null;
  trials: TrialRow[];
}

export function sweepSummary(state: SweepState, sweep: ResolvedSweep, epochsPerTrial: number): SweepSummary {
  return {
    format: 1,
    id: state.id,
    status: state.status,
    method: sweep.method,
    metric: sweep.metric,
    mode: sweep.mode,
    planned: sweep.trials,
    epochs_trained: state.trials.reduce((n, t) => n + t.epochs, 0),
    epochs_per_trial: epochsPerTrial,
    best: state.trials.find((t) => t.trial === state.best) ?? null,
    trials: sortByObjective(state.trials, sweep.mode),
  };
}

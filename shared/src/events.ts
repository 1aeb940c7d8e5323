/**
 * The run store's records: `meta.json`, each line of `events.jsonl`, and `summary.json`, as
 * DESIGN.md's "run store" and "Events" sections define them. `format: 1` on every record lets
 * readers refuse what they don't know.
 */
import type { LrSuggestion, Monitor } from "./schema";
import type { ResolvedSchedule } from "./resolved";

export const FORMAT = 1 as const;

/** Per layer group values are objects keyed by group name. */
export type PerGroup<T> = Record<string, T>;

export interface PerClass {
  class: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

interface EventBase {
  format: typeof FORMAT;
  seq: number;
  /** ISO 8601 time of writing. */
  time: string;
  /** 1, then 2 after the first resume, and so on. */
  attempt: number;
  /** Set on stage-level events of k-fold runs. */
  fold?: number;
}

export type RunEventBody =
  | {
      type: "run_started";
      run_id: string;
      config_hash: string;
      data_hash: string;
      classes: string[];
      backend: string;
      seed: number;
    }
  | {
      type: "stage_started";
      stage: string;
      index: number;
      size: number;
      epochs: number;
      steps_per_epoch: number;
      trainable: string[];
      lr: PerGroup<number>;
      schedule: ResolvedSchedule;
    }
  | {
      /** One step of an LR-finder sweep, as it happens (the sweep can take minutes). */
      type: "lr_find_step";
      stage: string;
      /** 1-based step of this sweep. */
      step: number;
      /** Planned steps; the sweep stops earlier when the loss diverges. */
      steps: number;
      lr: number;
      loss: number;
      smoothed: number;
    }
  | {
      type: "lr_find";
      stage: string;
      points: { lr: number; loss: number; smoothed: number }[];
      suggestions: Record<LrSuggestion, number>;
      chosen: { rule: LrSuggestion; lr: number };
      /** Set when the suggestions are not a measurement (e.g. all on the first points of a short sweep). */
      warning?: string;
    }
  | {
      type: "batch";
      stage: string;
      epoch: number;
      step: number;
      loss: number;
      lr: PerGroup<number>;
      images_per_s: number;
    }
  | {
      type: "epoch";
      stage: string;
      epoch: number;
      step: number;
      train_loss: number;
      valid_loss: number;
      valid_accuracy: number;
      per_class: PerClass[];
      /** rows = true class, cols = predicted, in `run_started.classes` order. */
      confusion: number[][];
      seconds: number;
    }
  | {
      type: "checkpoint";
      stage: string;
      epoch: number;
      step: number;
      kind: "best" | "last";
      path: string;
      monitor: Monitor;
      value: number;
    }
  | { type: "stage_finished"; stage: string; best: { epoch: number; value: number } }
  | { type: "run_resumed"; from: { stage: string; epoch: number; step: number }; superseded_after_seq: number }
  | { type: "run_interrupted"; stage: string; epoch: number; step: number }
  | { type: "run_finished"; summary: RunSummary }
  | { type: "run_failed"; error: string; stage: string | null; epoch: number | null };

export type RunEvent = EventBase & RunEventBody;
export type RunEventType = RunEventBody["type"];
export type EventOf<T extends RunEventType> = Extract<RunEvent, { type: T }>;

export type RunStatus = "running" | "finished" | "failed" | "interrupted";

export interface RunMeta {
  format: typeof FORMAT;
  id: string;
  name: string;
  config_hash: string;
  data_hash: string | null;
  split_hash: string | null;
  seed: number;
  status: RunStatus;
  started: string;
  ended: string | null;
  backend: { name: string; version: string; threads: number | null; device: string | null } | null;
  versions: Record<string, string>;
  git_commit: string | null;
  host: string;
  /** Files skipped under `on_bad_image: skip`. */
  skipped_images: number;
  attempt: number;
}

/** One fold of a k-fold run, in the summary. */
export interface FoldAccuracy {
  fold: number;
  valid_accuracy: number;
  /** With `tta`: the fold's final model on its validation images, 8 dihedral views averaged. */
  tta_accuracy?: number | null;
}

export interface RunSummary {
  format: typeof FORMAT;
  classes: string[];
  best: { stage: string; epoch: number; monitor: Monitor; value: number } | null;
  final: { valid_accuracy: number; valid_loss: number; train_loss: number };
  tta_accuracy: number | null;
  per_class: PerClass[];
  confusion: number[][];
  most_confused: { actual: string; predicted: string; count: number }[];
  /** k-fold runs: one entry per fold (final-epoch accuracy, and with `tta` the TTA accuracy) and the mean ± std. */
  folds: FoldAccuracy[] | null;
  folds_mean: number | null;
  folds_std: number | null;
  /** k-fold runs with `tta`: mean ± std of the folds' TTA accuracy (absent otherwise and in older runs). */
  folds_tta_mean?: number | null;
  folds_tta_std?: number | null;
  seconds: number;
}

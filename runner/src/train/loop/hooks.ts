/**
 * The loop's hooks, named like tfjs callbacks (`onBatchEnd`, `onEpochEnd`, ...). The event writer,
 * checkpointing, early stopping and the CLI's progress bar are all hooks, so each can be tested by
 * calling it by hand, and the training-engine-II features (resume, interrupt, activation cache) hook
 * in the same way. A hook stops the current stage by setting `control.stopStage` (tfjs's
 * `model.stopTraining`).
 */
import type { EpochEvent, LrSuggestion, ResolvedStage } from "@tessera/shared";
import type { LrPoint } from "../lr-find/suggest";
import type { EvalResult } from "../../inference/evaluate";

/** Where the loop is: what every stage-level hook gets. */
export interface StageInfo {
  stage: ResolvedStage;
  /** k-fold runs: the fold number; otherwise null. */
  fold: number | null;
  stepsPerEpoch: number;
  batchSize: number;
  /** Max LR of every group (frozen ones too), network order. */
  lrs: Record<string, number>;
  trainable: string[];
}

export interface LrFindLogs {
  stage: string;
  fold: number | null;
  points: LrPoint[];
  suggestions: Record<LrSuggestion, number>;
  chosen: { rule: LrSuggestion; lr: number };
  /** Why the suggestions are not to be trusted (too few points), or null. */
  warning: string | null;
}

/** One step of an LR-finder sweep (1-based `step` of `steps` planned). */
export interface LrFindStepLogs extends LrPoint {
  stage: string;
  fold: number | null;
  step: number;
  steps: number;
}

export interface BatchLogs {
  stage: string;
  fold: number | null;
  /** 1-based epoch within the stage. */
  epoch: number;
  /** Optimiser steps done in this stage, this one included. */
  step: number;
  /** 1-based batch within the epoch, and the epoch's batch count. */
  batch: number;
  batches: number;
  loss: number;
  lr: Record<string, number>;
  images_per_s: number;
}

/**
 * An epoch's logs: the fields of the `epoch` event it becomes (the schema is the one source of
 * their names and types), plus what only the loop has (the stage's planned epochs, the full
 * validation pass for top losses).
 */
export type EpochLogs = Pick<
  EpochEvent,
  "stage" | "epoch" | "step" | "train_loss" | "valid_loss" | "valid_accuracy" | "per_class" | "confusion" | "seconds"
> & {
  fold: number | null;
  epochs: number;
  /** The full validation pass (predictions, per-image losses) for top losses. */
  eval: EvalResult;
  /** Indices (into the dataset) of the validation images, in `eval` order. */
  validIndices: number[];
};

export interface StageEndLogs {
  stage: string;
  fold: number | null;
  /** Best epoch by the checkpoint monitor, or null when no epoch finished. */
  best: { epoch: number; value: number } | null;
  /** Why the stage ended early (early stopping, NaN loss), or null. */
  stopped: string | null;
}

/** Set by a hook to end the stage after the current batch/epoch. */
export interface LoopControl {
  stopStage: boolean;
  reason: string | null;
}

type Maybe<T> = T | Promise<T>;

/** Every hook is optional. */
export interface TrainHooks {
  onStageBegin?(info: StageInfo, control: LoopControl): Maybe<void>;
  onLrFindStep?(logs: LrFindStepLogs): Maybe<void>;
  onLrFind?(logs: LrFindLogs): Maybe<void>;
  onBatchEnd?(logs: BatchLogs, control: LoopControl): Maybe<void>;
  onEpochEnd?(logs: EpochLogs, control: LoopControl): Maybe<void>;
  onStageEnd?(logs: StageEndLogs): Maybe<void>;
}

/** Calls the same hook on each of several hook sets, in order (tfjs `CallbackList`). */
export function combineHooks(list: TrainHooks[]): Required<TrainHooks> {
  const call =
    <K extends keyof TrainHooks>(key: K) =>
    async (...args: Parameters<NonNullable<TrainHooks[K]>>) => {
      for (const hooks of list) {
        const fn = hooks[key] as ((...a: typeof args) => Maybe<void>) | undefined;
        if (fn) await fn.apply(hooks, args);
      }
    };
  return {
    onStageBegin: call("onStageBegin"),
    onLrFindStep: call("onLrFindStep"),
    onLrFind: call("onLrFind"),
    onBatchEnd: call("onBatchEnd"),
    onEpochEnd: call("onEpochEnd"),
    onStageEnd: call("onStageEnd"),
  };
}

/**
 * Resume: the hook that keeps a resume point up to date, and `planResume`,
 * which says where a run folder's next attempt starts and which events it supersedes. (Dropout's
 * randomness is seeded per step from the position in `runStage`, so it needs no state here.)
 *
 * Wiring (in the loop): `runStage` takes `resume` (start from a position) and reports its live
 * state through `onState`; `trainFold` skips finished stages and loads the resume point's weights;
 * `runExperiment({ resume })` reopens the folder and appends `run_resumed`.
 */
import type { RunEvent } from "@tessera/shared";
import type { CheckpointInfo } from "../checkpoints/io";
import type { TrainHooks } from "../loop/hooks";
import type { GroupOptimizer } from "../loop/optim";
import { saveResumePoint, type OptimizerSnapshot, type TrainPosition } from "./state";
import type * as tf from "../../tf";

/** Where `runStage` starts when resuming inside a stage. */
export interface StageResume {
  /** The epoch in progress (1-based) and how many of its batches are done. */
  epoch: number;
  batch: number;
  step: number;
  lossSum: number;
  best: { epoch: number; value: number } | null;
  lrs: Record<string, number>;
  optimizer: OptimizerSnapshot;
}

/** The loop's state after a batch or an epoch, as `runStage` reports it through `onState`. */
export interface LiveStage extends Omit<StageResume, "optimizer"> {
  /** The live optimizer, not a snapshot of it. */
  optimizer: GroupOptimizer;
}

/** A resume point's position as `runStage`'s `resume`. */
export function stageResumeOf(p: TrainPosition, optimizer: OptimizerSnapshot): StageResume {
  return {
    epoch: p.epoch,
    batch: p.batch,
    step: p.step,
    lossSum: p.loss_sum,
    best: p.stage_best,
    lrs: p.lrs,
    optimizer,
  };
}

/** Keeps `checkpoints/resume` current: after every epoch, and on demand (an interrupt). */
export interface ResumePointWriter {
  hooks: TrainHooks;
  /** Give this to `runStage` as `onState`. */
  onState(state: LiveStage): void;
  /** Writes the resume point for the latest state now (after the current batch). */
  saveNow(): Promise<TrainPosition | null>;
}

export function resumePointWriter(opts: {
  runDir: string;
  model: tf.LayersModel;
  foldIndex: number;
  /** The writer's last seq and attempt, read when saving. */
  lastSeq: () => number;
  attempt: number;
  /** The run's best so far (the checkpoint hook's), read when saving. */
  runBest: () => TrainPosition["run_best"];
  /** Early stopping's counters, read when saving. */
  earlyStopping?: () => TrainPosition["early_stopping"];
  info: Omit<CheckpointInfo, "stage" | "epoch" | "step" | "fold" | "value" | "time" | "size">;
}): ResumePointWriter {
  let live: LiveStage | null = null;
  let stage: { name: string; index: number; size: number; epochs: number } | null = null;
  let fold: number | null = null;
  const save = async (stageDone = false): Promise<TrainPosition | null> => {
    if (!live || !stage) return null;
    const position: TrainPosition = {
      format: 1,
      fold_index: opts.foldIndex,
      fold,
      stage_index: stage.index,
      stage: stage.name,
      // A stage that early stopping ended resumes as finished, not at its next epoch.
      epoch: stageDone ? stage.epochs + 1 : live.epoch,
      batch: stageDone ? 0 : live.batch,
      step: live.step,
      loss_sum: live.lossSum,
      stage_best: live.best,
      run_best: opts.runBest(),
      lrs: live.lrs,
      early_stopping: opts.earlyStopping?.() ?? null,
      last_seq: opts.lastSeq(),
      attempt: opts.attempt,
    };
    await saveResumePoint({
      runDir: opts.runDir,
      model: opts.model,
      optimizer: live.optimizer,
      position,
      info: {
        ...opts.info,
        stage: stage.name,
        epoch: live.batch === 0 ? live.epoch - 1 : live.epoch,
        step: live.step,
        fold,
        value: live.best?.value ?? NaN,
        size: stage.size,
        time: new Date().toISOString(),
      },
    });
    return position;
  };
  return {
    onState(state) {
      live = state;
    },
    saveNow: () => save(),
    hooks: {
      onStageBegin(info) {
        stage = { name: info.stage.name, index: info.stage.index, size: info.stage.size, epochs: info.stage.epochs };
        fold = info.fold;
        live = null;
      },
      async onEpochEnd(_logs, control) {
        await save(control.stopStage);
      },
    },
  };
}

/** Where the next attempt starts, from the events and the resume point's position (or null). */
export interface ResumePlan {
  from: { stage: string; epoch: number; step: number };
  superseded_after_seq: number;
}

/**
 * Plans a resume. With a resume point, everything after its `last_seq` is superseded; without one
 * (killed in the first epoch), training restarts and everything after `run_started` is.
 * @throws Error when the run already finished or never started
 */
export function planResume(events: RunEvent[], position: TrainPosition | null): ResumePlan {
  if (events.some((e) => e.type === "run_finished")) throw new Error("the run already finished; nothing to resume");
  const started = events.find((e) => e.type === "run_started");
  if (!started) throw new Error("the run has no run_started event; start it again instead");
  if (!position) {
    const first = events.find((e) => e.type === "stage_started");
    return {
      from: { stage: first && first.type === "stage_started" ? first.stage : "", epoch: 1, step: 0 },
      superseded_after_seq: started.seq,
    };
  }
  return {
    from: { stage: position.stage, epoch: position.epoch, step: position.step },
    superseded_after_seq: position.last_seq,
  };
}

/**
 * Hooks that turn the loop's logs into run-store events, and early stopping. Checkpointing is in
 * `checkpointing.ts`. Each is a plain object of hook functions, testable by calling them by hand.
 */
import type { Monitor, ResolvedConfig, RunEventBody } from "@tessera/shared";
import type { EpochLogs, LoopControl, TrainHooks } from "./hooks";

/** Appends one event body (the RunWriter's `append`, plus the k-fold `fold`). */
export type Emit = (body: RunEventBody & { fold?: number }) => void;

/** The value of a monitor in an epoch's logs. */
export function monitorValue(
  logs: Pick<EpochLogs, "valid_accuracy" | "valid_loss" | "train_loss">,
  m: Monitor,
): number {
  switch (m) {
    case "valid.accuracy":
      return logs.valid_accuracy;
    case "valid.loss":
      return logs.valid_loss;
    case "train.loss":
      return logs.train_loss;
  }
}

/** Whether `value` beats `best` by more than `minDelta` in `mode`. */
export function improves(value: number, best: number | null, mode: "max" | "min", minDelta = 0): boolean {
  if (!Number.isFinite(value)) return false;
  if (best === null) return true;
  return mode === "max" ? value > best + minDelta : value < best - minDelta;
}

const withFold = (fold: number | null) => (fold === null ? {} : { fold });

/** Writes stage_started, lr_find, batch, epoch and stage_finished events. */
export function eventHooks(emit: Emit): TrainHooks {
  return {
    onStageBegin(info) {
      emit({
        type: "stage_started",
        stage: info.stage.name,
        index: info.stage.index,
        size: info.stage.size,
        epochs: info.stage.epochs,
        steps_per_epoch: info.stepsPerEpoch,
        trainable: info.trainable,
        lr: info.lrs,
        schedule: info.stage.schedule,
        ...withFold(info.fold),
      });
    },
    onLrFindStep(l) {
      emit({
        type: "lr_find_step",
        stage: l.stage,
        step: l.step,
        steps: l.steps,
        lr: l.lr,
        loss: l.loss,
        smoothed: l.smoothed,
        ...withFold(l.fold),
      });
    },
    onLrFind(l) {
      emit({
        type: "lr_find",
        stage: l.stage,
        points: l.points,
        suggestions: l.suggestions,
        chosen: l.chosen,
        ...(l.warning ? { warning: l.warning } : {}),
        ...withFold(l.fold),
      });
    },
    onBatchEnd(l) {
      emit({
        type: "batch",
        stage: l.stage,
        epoch: l.epoch,
        step: l.step,
        loss: l.loss,
        lr: l.lr,
        images_per_s: l.images_per_s,
        ...withFold(l.fold),
      });
    },
    onEpochEnd(l) {
      emit({
        type: "epoch",
        stage: l.stage,
        epoch: l.epoch,
        step: l.step,
        train_loss: l.train_loss,
        valid_loss: l.valid_loss,
        valid_accuracy: l.valid_accuracy,
        per_class: l.per_class,
        confusion: l.confusion,
        seconds: l.seconds,
        ...withFold(l.fold),
      });
    },
    onStageEnd(l) {
      emit({ type: "stage_finished", stage: l.stage, best: l.best ?? { epoch: 0, value: NaN }, ...withFold(l.fold) });
    },
  };
}

/**
 * Stops a stage when the monitor has not improved by `min_delta` for `patience` epochs (Keras's
 * EarlyStopping; the count starts over each stage, since each stage changes what trains).
 */
export function earlyStopping(
  opts: NonNullable<ResolvedConfig["early_stopping"]>,
  /** A resumed run's early-stopping counters for the stage it resumes inside. */
  initial: { best: number | null; wait: number } | null = null,
): TrainHooks & { state(): { best: number | null; wait: number } } {
  let best: number | null = null;
  let wait = 0;
  let pending = initial;
  return {
    state: () => ({ best, wait }),
    onStageBegin() {
      best = pending?.best ?? null;
      wait = pending?.wait ?? 0;
      pending = null;
    },
    onEpochEnd(logs: EpochLogs, control: LoopControl) {
      const value = monitorValue(logs, opts.monitor);
      if (improves(value, best, opts.mode, opts.min_delta)) {
        best = value;
        wait = 0;
        return;
      }
      wait += 1;
      if (wait >= opts.patience) {
        control.stopStage = true;
        control.reason = `early stopping: ${opts.monitor} did not improve for ${wait} epoch(s) (best ${best})`;
      }
    },
  };
}

/**
 * The checkpoint hook: after every epoch, `last` is rewritten; when the checkpoint monitor beats
 * the best so far (across the stages of the run, or of the fold), `best` is rewritten too. Both are
 * atomic (see `checkpoint-io.ts`) and each write is announced with a `checkpoint` event. An epoch
 * whose loss went NaN never gets here, so the last good checkpoint stays.
 */
import { join, relative } from "node:path";
import { RUN_FILES, type Monitor } from "@tessera/shared";
import type * as tf from "../tf";
import { saveCheckpoint, type CheckpointInfo } from "./checkpoint-io";
import { improves, monitorValue, type Emit } from "./callbacks";
import type { EpochLogs, TrainHooks } from "./hooks";

export interface CheckpointOptions {
  runDir: string;
  model: tf.LayersModel;
  monitor: Monitor;
  mode: "max" | "min";
  classes: string[];
  preprocessing: CheckpointInfo["preprocessing"];
  /** Image size of each stage, by name. */
  sizes: Record<string, number>;
  emit: Emit;
  /** The best so far when a resumed run continues (Training engine II). */
  initialBest?: { stage: string; epoch: number; value: number } | null;
}

/** Folder of a checkpoint kind, per fold in k-fold runs (`checkpoints/fold2/best`). */
export function checkpointDir(runDir: string, kind: "best" | "last", fold: number | null): string {
  return fold === null
    ? join(runDir, kind === "best" ? RUN_FILES.bestCheckpoint : RUN_FILES.lastCheckpoint)
    : join(runDir, RUN_FILES.checkpoints, `fold${fold}`, kind);
}

/** The checkpoint hook; `best()` tells the best value and where it was reached. */
export function checkpointing(opts: CheckpointOptions): TrainHooks & {
  best(): { stage: string; epoch: number; value: number } | null;
} {
  let best: { stage: string; epoch: number; value: number } | null = opts.initialBest ?? null;
  const save = async (kind: "best" | "last", logs: EpochLogs, value: number) => {
    const dir = checkpointDir(opts.runDir, kind, logs.fold);
    const info: CheckpointInfo = {
      format: 1,
      stage: logs.stage,
      epoch: logs.epoch,
      step: logs.step,
      fold: logs.fold,
      monitor: opts.monitor,
      value,
      classes: opts.classes,
      preprocessing: opts.preprocessing,
      size: opts.sizes[logs.stage] ?? 0,
      time: new Date().toISOString(),
    };
    await saveCheckpoint(opts.model, dir, info);
    opts.emit({
      type: "checkpoint",
      stage: logs.stage,
      epoch: logs.epoch,
      step: logs.step,
      kind,
      path: relative(opts.runDir, dir),
      monitor: opts.monitor,
      value,
      ...(logs.fold === null ? {} : { fold: logs.fold }),
    });
  };
  return {
    best: () => best,
    async onEpochEnd(logs) {
      const value = monitorValue(logs, opts.monitor);
      await save("last", logs, value);
      // A tie goes to the later epoch (more training, same score): `>=`, not `>` (docs/training.md).
      if (improves(value, best?.value ?? null, opts.mode) || value === best?.value) {
        best = { stage: logs.stage, epoch: logs.epoch, value };
        await save("best", logs, value);
      }
    },
  };
}

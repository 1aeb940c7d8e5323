/**
 * The checkpoint hook: after every epoch, `last` is rewritten; when the checkpoint monitor beats
 * the best so far (across the stages of the run, or of the fold), `best` is rewritten too. Both are
 * atomic (see `io.ts`) and each write is announced with a `checkpoint` event. An epoch
 * whose loss went NaN never gets here, so the last good checkpoint stays.
 */
import { relative } from "node:path";
import type { Monitor } from "@tessera/shared";
import type * as tf from "../../tf";
import { saveCheckpoint, type CheckpointInfo } from "./io";
import { checkpointDir } from "./layout";
import { improves, monitorValue, type Emit } from "../loop/callbacks";
import type { EpochLogs, TrainHooks } from "../loop/hooks";

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
  /** The best so far when a resumed run continues. */
  initialBest?: { stage: string; epoch: number; value: number } | null;
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

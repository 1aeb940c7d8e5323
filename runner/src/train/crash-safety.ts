/**
 * The crash-safety wiring for one fold (resume point, interrupt, seeded randomness), in one place
 * so the loop (`trainFold`) only has to call it: the resume-point and interrupt hooks; which stages a resumed fold
 * skips; what `runStage` gets for the stage it resumes inside; and the resumed weights.
 */
import type { ResolvedStage } from "@tessera/shared";
import type * as tf from "../tf";
import type { Emit } from "./loop/callbacks";
import type { CheckpointInfo } from "./checkpoints/io";
import type { TrainHooks } from "./loop/hooks";
import { interruptHook, type Interrupt } from "./interrupt";
import { resumePointWriter, stageResumeOf, type LiveStage, type StageResume } from "./resume/plan";
import type { ResumePoint } from "./resume/state";

/** What the run level (`runExperiment`) hands each fold. */
export interface RunSafety {
  runId: string;
  runDir: string;
  attempt: number;
  lastSeq: () => number;
  interrupt: Interrupt | null;
  /** The resume point this attempt starts from, or null for a fresh start. */
  resume: ResumePoint | null;
}

/** The per-fold pieces. */
export interface FoldSafety {
  /** Install after the loop's own hooks (events, checkpoints): the interrupt hook must be last. */
  hooks: TrainHooks[];
  /** Early stopping's counters to start the resumed stage with, or null. */
  initialEarlyStopping: { best: number | null; wait: number } | null;
  /** The best so far to start the checkpoint hook from (a resumed fold's), or null. */
  initialBest: { stage: string; epoch: number; value: number } | null;
  /** True for stages a resumed fold already finished. */
  skipStage(stage: ResolvedStage): boolean;
  /** Extra `runStage` options for this stage. */
  stageOptions(stage: ResolvedStage): { resume?: StageResume; onState: (s: LiveStage) => void };
}

/** Sets up a fold; loads the resume point's weights into `model` when this fold resumes. */
export function foldSafety(
  run: RunSafety,
  opts: {
    model: tf.LayersModel;
    foldIndex: number;
    emit: Emit;
    runBest: () => { stage: string; epoch: number; value: number } | null;
    /** Early stopping's counters now (null when it is off). */
    earlyStopping: () => { best: number | null; wait: number } | null;
    info: Omit<CheckpointInfo, "stage" | "epoch" | "step" | "fold" | "value" | "time" | "size">;
  },
): FoldSafety {
  const position = run.resume?.position.fold_index === opts.foldIndex ? run.resume.position : null;
  if (position) run.resume!.loadWeightsInto(opts.model);
  const writer = resumePointWriter({
    runDir: run.runDir,
    model: opts.model,
    foldIndex: opts.foldIndex,
    lastSeq: run.lastSeq,
    attempt: run.attempt,
    runBest: opts.runBest,
    earlyStopping: opts.earlyStopping,
    info: opts.info,
  });
  let resumePending = position !== null;
  return {
    hooks: [writer.hooks, ...(run.interrupt ? [interruptHook(run.interrupt, writer, opts.emit, run.runId)] : [])],
    initialBest: position?.run_best ?? null,
    initialEarlyStopping: position?.early_stopping ?? null,
    skipStage: (stage) => position !== null && stage.index < position.stage_index,
    stageOptions(stage) {
      if (!position || !resumePending || stage.index !== position.stage_index) return { onState: writer.onState };
      resumePending = false;
      return { resume: stageResumeOf(position, run.resume!.optimizerFor(opts.model)), onState: writer.onState };
    },
  };
}

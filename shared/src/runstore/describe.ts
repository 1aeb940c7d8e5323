/**
 * A run condensed for people and scripts (`tessera show`): its stages, one row per epoch, its
 * checkpoints and resumes, without the per-batch events.
 */
import type { ResolvedSchedule } from "../resolved";
import { foldEpochs, type EpochEvent } from "../epochs";
import type { RunEvent, RunMeta, RunSummary } from "../events";
import type { RunRecord } from "./reader";

export interface StageRow {
  name: string;
  index: number;
  fold: number | null;
  size: number;
  epochs: number;
  trainable: string[];
  lr: Record<string, number>;
  schedule: ResolvedSchedule;
  best: { epoch: number; value: number } | null;
}

/** One epoch that counts, without its per-class scores and confusion matrix. */
export type EpochRow = Pick<
  EpochEvent,
  "stage" | "epoch" | "step" | "train_loss" | "valid_loss" | "valid_accuracy" | "seconds" | "attempt"
> & { fold: number | null };

export interface RunDescription {
  dir: string;
  meta: RunMeta;
  summary: RunSummary | null;
  stages: StageRow[];
  epochs: EpochRow[];
  checkpoints: { stage: string; epoch: number; kind: "best" | "last"; path: string; value: number }[];
  resumes: { attempt: number; from: { stage: string; epoch: number; step: number } }[];
  interruptions: { attempt: number; stage: string; epoch: number; step: number }[];
  error: string | null;
  event_count: number;
}

/** Condenses a run record (events already torn-line-free); its epochs are the ones `foldEpochs` counts. */
export function describeRun(record: RunRecord): RunDescription {
  const out: RunDescription = {
    dir: record.dir,
    meta: record.meta,
    summary: record.summary,
    stages: [],
    epochs: [],
    checkpoints: [],
    resumes: [],
    interruptions: [],
    error: null,
    event_count: record.events.length,
  };
  for (const e of record.events) describeEvent(out, e);
  out.epochs = foldEpochs(record.events).map((e) => ({
    stage: e.stage,
    fold: e.fold ?? null,
    epoch: e.epoch,
    step: e.step,
    train_loss: e.train_loss,
    valid_loss: e.valid_loss,
    valid_accuracy: e.valid_accuracy,
    seconds: e.seconds,
    attempt: e.attempt,
  }));
  return out;
}

function describeEvent(out: RunDescription, e: RunEvent): void {
  const fold = e.fold ?? null;
  switch (e.type) {
    case "stage_started":
      out.stages.push({
        name: e.stage,
        index: e.index,
        fold,
        size: e.size,
        epochs: e.epochs,
        trainable: e.trainable,
        lr: e.lr,
        schedule: e.schedule,
        best: null,
      });
      break;
    case "stage_finished": {
      const stage = out.stages.findLast((s) => s.name === e.stage && s.fold === fold);
      if (stage) stage.best = e.best;
      break;
    }
    case "checkpoint":
      out.checkpoints.push({ stage: e.stage, epoch: e.epoch, kind: e.kind, path: e.path, value: e.value });
      break;
    case "run_resumed":
      out.resumes.push({ attempt: e.attempt, from: e.from });
      break;
    case "run_interrupted":
      out.interruptions.push({ attempt: e.attempt, stage: e.stage, epoch: e.epoch, step: e.step });
      break;
    case "run_failed":
      out.error = e.error;
      break;
    default:
      break;
  }
}

/**
 * The numbers a diff or a report needs, derived once from a run's events and summary: epoch
 * curves, best/final validation metrics, per-class scores, the confusion matrix and its most
 * confused pairs, LR-finder sweeps. A run that has not finished (no summary.json) still yields
 * its metrics from its last `epoch` event.
 */
import type { EpochEvent, EventOf, FoldAccuracy, PerClass, RunEvent, RunSummary } from "@tessera/shared";
import { bestEpoch, foldEpochs, perClassScores } from "@tessera/shared";

/** One finished epoch that counts, in the order the run logged them (`fold` null outside k-fold). */
export type EpochPoint = Pick<
  EpochEvent,
  "stage" | "epoch" | "step" | "train_loss" | "valid_loss" | "valid_accuracy"
> & {
  fold: number | null;
};

/** A confusion pair: images of class `actual` predicted as `predicted`. */
export interface ConfusedPair {
  actual: string;
  predicted: string;
  count: number;
}

/** What `diff` and `report` read from one run. */
export interface RunMetrics {
  classes: string[];
  epochs: EpochPoint[];
  /** Best validation accuracy over all epochs (k-fold runs: the mean over folds). */
  best: { value: number; stage: string; epoch: number; fold: number | null } | null;
  /** The last epoch's metrics. */
  final: { valid_accuracy: number; valid_loss: number; train_loss: number } | null;
  /** Lowest validation loss over all epochs. */
  bestLoss: number | null;
  tta: number | null;
  perClass: PerClass[];
  /**
   * rows = true class, cols = predicted, in `classes` order; empty when no epoch finished. The last
   * epoch's; in a k-fold run the sum of every fold's last epoch, so each image counts once.
   */
  confusion: number[][];
  /** What `confusion` (and `perClass`, `mostConfused`) cover, for titles. */
  confusionOf: "final epoch" | "all folds";
  mostConfused: ConfusedPair[];
  lrFinds: EventOf<"lr_find">[];
  /** Stages in the order they started: name, size, epochs, per-group max LR. */
  stages: EventOf<"stage_started">[];
  folds: FoldAccuracy[] | null;
  seconds: number | null;
}

/** Off-diagonal cells of a confusion matrix, largest first (ties by class order). */
export function confusedPairs(classes: string[], confusion: number[][]): ConfusedPair[] {
  const pairs: ConfusedPair[] = [];
  confusion.forEach((row, i) =>
    row.forEach((count, j) => {
      if (i !== j && count > 0) pairs.push({ actual: classes[i] ?? `#${i}`, predicted: classes[j] ?? `#${j}`, count });
    }),
  );
  return pairs.sort((x, y) => y.count - x.count);
}

/** Derives a run's metrics from its events (the shared `foldEpochs` rule decides which epochs count) and its summary. */
export function runMetrics(events: RunEvent[], summary: RunSummary | null): RunMetrics {
  const epochEvents = foldEpochs(events);
  const epochs: EpochPoint[] = epochEvents.map((e) => ({
    fold: e.fold ?? null,
    stage: e.stage,
    epoch: e.epoch,
    step: e.step,
    train_loss: e.train_loss,
    valid_loss: e.valid_loss,
    valid_accuracy: e.valid_accuracy,
  }));
  const started = events.find((e): e is EventOf<"run_started"> => e.type === "run_started");
  const last = epochEvents.at(-1);
  const classes = summary?.classes ?? started?.classes ?? [];
  // k-fold: every image is validated once, in its fold; summing the folds' last epochs shows them all.
  const lastOfFold = new Map<number, EventOf<"epoch">>();
  for (const e of epochEvents) if (e.fold != null) lastOfFold.set(e.fold, e);
  const allFolds = lastOfFold.size > 1 ? sumMatrices([...lastOfFold.values()].map((e) => e.confusion)) : null;
  const confusion = allFolds ?? summary?.confusion ?? last?.confusion ?? [];
  const top = bestEpoch(epochs);
  let best: RunMetrics["best"] = top && {
    value: top.valid_accuracy,
    stage: top.stage,
    epoch: top.epoch,
    fold: top.fold,
  };
  if (summary?.folds_mean != null && best) best = { ...best, value: summary.folds_mean };
  return {
    classes,
    epochs,
    best,
    final: summary?.final ?? (last ? pick(last) : null),
    bestLoss: epochs.length ? Math.min(...epochs.map((p) => p.valid_loss)) : null,
    tta: summary?.tta_accuracy ?? null,
    perClass: allFolds ? perClassScores(allFolds, classes) : (summary?.per_class ?? last?.per_class ?? []),
    confusion,
    confusionOf: allFolds ? "all folds" : "final epoch",
    mostConfused: allFolds
      ? confusedPairs(classes, allFolds)
      : (summary?.most_confused ?? confusedPairs(classes, confusion)),
    lrFinds: events.filter((e): e is EventOf<"lr_find"> => e.type === "lr_find"),
    stages: events.filter((e): e is EventOf<"stage_started"> => e.type === "stage_started"),
    folds: summary?.folds ?? null,
    seconds: summary?.seconds ?? null,
  };
}

function sumMatrices(ms: number[][][]): number[][] {
  return ms[0]!.map((row, i) => row.map((_, j) => ms.reduce((sum, m) => sum + (m[i]?.[j] ?? 0), 0)));
}

function pick(e: EventOf<"epoch">): NonNullable<RunMetrics["final"]> {
  return { valid_accuracy: e.valid_accuracy, valid_loss: e.valid_loss, train_loss: e.train_loss };
}

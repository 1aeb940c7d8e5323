/**
 * The metrics of the epoch a checkpoint was written at, from the run's events: `export` wrote the
 * final epoch's metrics beside the best checkpoint's weights, which differ whenever the best
 * epoch is not the last one.
 */
import type { EventOf, RunSummary } from "@tessera/shared";
import { readEvents } from "../runs";
import type { CheckpointInfo } from "../train/checkpoints/io";

/** What an export says about the weights it holds. */
export interface CheckpointMetrics {
  stage: string;
  epoch: number;
  fold: number | null;
  valid_accuracy: number;
  valid_loss: number;
  train_loss: number;
  /** The run's TTA accuracy when these are the final weights it was measured on, else null. */
  tta_accuracy: number | null;
}

/**
 * The `epoch` event of (fold, stage, epoch) of `info` (superseded attempts dropped); null when
 * the events do not have it (an older or damaged run).
 */
export function checkpointMetrics(
  runDir: string,
  info: Pick<CheckpointInfo, "stage" | "epoch" | "fold">,
  summary: RunSummary | null,
): CheckpointMetrics | null {
  const epochs = readEvents(runDir, () => undefined).filter((e): e is EventOf<"epoch"> => e.type === "epoch");
  const match = epochs.findLast(
    (e) => e.stage === info.stage && e.epoch === info.epoch && (e.fold ?? null) === (info.fold ?? null),
  );
  if (!match) return null;
  const finalOfFold = epochs.filter((e) => (e.fold ?? null) === (info.fold ?? null)).at(-1);
  const isFinal = finalOfFold?.seq === match.seq && epochs.at(-1)?.seq === match.seq;
  return {
    stage: match.stage,
    epoch: match.epoch,
    fold: match.fold ?? null,
    valid_accuracy: match.valid_accuracy,
    valid_loss: match.valid_loss,
    train_loss: match.train_loss,
    tta_accuracy: isFinal ? (summary?.tta_accuracy ?? null) : null,
  };
}

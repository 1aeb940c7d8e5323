/**
 * Epoch numbers as the dashboard shows them. Events number epochs from 1 (`epoch` 1 is the first
 * finished epoch, like `tessera ls` and `show`); the pages added 1 again and showed "4/3" for the
 * last epoch of a 3-epoch stage. One place, so the three labels cannot drift apart again.
 */

/** The runs table's `stage · epoch/epochs` suffix: the last finished epoch, as recorded. */
export function epochOfEpochs(epoch: number | null, epochs: number | null): string {
  return epoch !== null && epochs !== null ? ` · ${epoch}/${epochs}` : "";
}

/** The confusion matrix card's title for the epoch event it shows. */
export function confusionTitle(last: { stage: string; epoch: number }): string {
  return `Confusion matrix · ${last.stage} epoch ${last.epoch}`;
}

/**
 * The live header's epoch and batch from the batches done in the stage: the epoch in progress and
 * how many of its batches are done, where a finished epoch's last batch reads `n/n` in that epoch
 * (not batch `n` of the next one). Null before the steps per epoch are known.
 */
export function liveEpochBatch(
  batchesInStage: number,
  stepsPerEpoch: number | null,
  epochs: number,
): { epoch: number; batch: number } | null {
  if (!stepsPerEpoch) return null;
  if (batchesInStage <= 0) return { epoch: 1, batch: 0 };
  const epoch = Math.min(epochs, Math.ceil(batchesInStage / stepsPerEpoch));
  const batch = Math.min(stepsPerEpoch, batchesInStage - (epoch - 1) * stepsPerEpoch);
  return { epoch, batch };
}

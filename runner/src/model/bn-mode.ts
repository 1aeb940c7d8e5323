/**
 * How one BatchNorm layer runs in a stage, from whether its group trains, the stage's `train_bn`
 * (frozen groups) and `bn` (trainable groups). A pure function so the table is tested on values.
 *
 * Why `inference` exists: with small (micro-)batches, batch statistics are noisy and moving
 * statistics drift towards them, which wrecked whole-network fine-tuning of the Kimia recipe;
 * Keras's fine-tuning advice is to keep BN in inference mode (moving statistics used, not updated)
 * while the rest trains. tfjs-layers has no such switch (`trainable: false` does not imply
 * inference mode there), so the forced `training: false` of groups.ts does it.
 */
import type { BnMode } from "@tessera/shared";

/** A BN layer's state: whether gamma/beta train, and whether it runs on its moving statistics. */
export interface BnLayerState {
  trainable: boolean;
  inference: boolean;
}

/**
 * - trainable group: `train` -> batch statistics, moving ones updated, gamma/beta train;
 *   `inference` -> moving statistics, not updated, gamma/beta train; `frozen` -> moving
 *   statistics, gamma/beta fixed.
 * - frozen group: `train_bn: true` -> trains like `train` (fastai); false -> frozen.
 * - no group at all: frozen.
 */
export function bnLayerState(inTrainableGroup: boolean | null, trainBn: boolean, bn: BnMode): BnLayerState {
  if (inTrainableGroup === null) return { trainable: false, inference: true };
  if (!inTrainableGroup) return trainBn ? { trainable: true, inference: false } : { trainable: false, inference: true };
  switch (bn) {
    case "train":
      return { trainable: true, inference: false };
    case "inference":
      return { trainable: true, inference: true };
    case "frozen":
      return { trainable: false, inference: true };
  }
}

/**
 * Builds the loop's `TrainData` from the data pipeline (`data/`): cached decode/resize, seeded
 * batch augmentation, normalisation for the model's weights.
 */
import * as tf from "../../tf";
import type { ResolvedData } from "@tessera/shared";
import {
  augmentBatch,
  loadImages,
  normalizeBatch,
  resolveNormalize,
  type LoadedDataset,
  type NormalizeMode,
} from "../../data";
import type { TrainData } from "./data";

/** The loop's view of a loaded dataset, normalised as `preprocessing` (the model's) and the config say. */
export function trainDataOf(ds: LoadedDataset, data: ResolvedData, preprocessing: NormalizeMode): TrainData {
  const mode = resolveNormalize(data.normalize, preprocessing);
  const pixels = (indices: number[], size: number) => loadImages(ds, indices, size, data.resize);
  return {
    classes: ds.classes,
    labels: ds.items.map((i) => i.label),
    keys: ds.items.map((i) => i.key),
    files: ds.items.map((i) => i.file),
    folds: ds.folds.map((f, i) => ({
      id: ds.protocol === "kfold" || ds.protocol === "leave_one_out" ? (ds.foldIds[i] ?? i) : null,
      train: f.train,
      valid: f.valid,
    })),
    dataHash: ds.dataHash,
    splitHash: ds.splitHash,
    skipped: ds.skipped.length,
    pixels,
    async input(indices, size, augment) {
      const u8 = await pixels(indices, size);
      return tf.tidy(() => {
        const x = tf.tensor4d(u8, [indices.length, size, size, 3], "float32");
        const aug = augment ? augmentBatch(x, data.augment, augment.seed) : x;
        return normalizeBatch(aug, mode);
      });
    },
  };
}

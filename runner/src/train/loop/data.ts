/**
 * What the loop needs from the data pipeline, as one small interface: labels, splits, and a
 * function giving the model's input for a set of items at a size. `data-adapter.ts` builds it from
 * `data/` (decode + cache, seeded augmentation, normalisation); tests can build it from tensors.
 */
import type * as tf from "../../tf";

/** One train/valid partition as indices into the items; `id` is the fold number of k-fold runs. */
export interface TrainFold {
  id: number | null;
  train: number[];
  valid: number[];
}

export interface TrainData {
  classes: string[];
  /** Class index of every item. */
  labels: number[];
  /** Stable id of every item (path relative to the data root, or a synthetic id). */
  keys: string[];
  /** Absolute path of every item's file; null for synthetic images. */
  files?: (string | null)[];
  folds: TrainFold[];
  dataHash: string;
  splitHash: string;
  skipped: number;
  /**
   * Normalised NHWC float32 input for `indices` at `size`; with `augment`, the training
   * augmentation drawn from `augment.seed`.
   */
  input(indices: number[], size: number, augment: { seed: number } | null): Promise<tf.Tensor4D>;
  /** Un-normalised NHWC uint8 pixels (thumbnails of top losses). */
  pixels(indices: number[], size: number): Promise<Uint8Array>;
}

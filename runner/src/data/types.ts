/** The shapes the data pipeline hands to the training engine. */

/** One labelled image. */
export interface DataItem {
  /**
   * Stable identity of the image: its path relative to the data root (`A/A12.tif`, `imgs/x.png`)
   * or a synthetic id (`synthetic/c3/17`). The split record and hashes use it.
   */
  key: string;
  /** Absolute path of the file; `null` for synthetic images. */
  file: string | null;
  /** Index into `Dataset.classes`. */
  label: number;
  /** sha256 of the file's bytes (synthetic: of its generator parameters); the cache key. */
  hash: string;
}

/** One train/valid partition, as indices into `Dataset.items`. */
export interface Fold {
  train: number[];
  valid: number[];
}

/** A file left out under `on_bad_image: skip`, or a non-image file ignored. */
export interface SkippedFile {
  file: string;
  reason: string;
}

/** What `loadDataset` returns: listed, labelled, hashed and split, not yet decoded. */
export interface Dataset {
  /** Class names, sorted; a label is an index into this. Stored with the run. */
  classes: string[];
  items: DataItem[];
  /** One entry for holdout/predefined, k for kfold, n for leave-one-out (filtered by `split.folds`). */
  folds: Fold[];
  /** Which fold numbers `folds` holds (they may be a subset when `split.folds` is set). */
  foldIds: number[];
  protocol: "holdout" | "kfold" | "leave_one_out" | "predefined";
  splitSeed: number;
  /** sha256 of the split record: same hash = same files in the same train/valid/fold. */
  splitHash: string;
  /** sha256 over classes, every image's content hash and label, and the split hash. */
  dataHash: string;
  skipped: SkippedFile[];
  /** Non-fatal problems (duplicates across classes, extension/content mismatch, ...). */
  warnings: string[];
  /** For synthetic data: how to generate an item; `null` for files. */
  synthetic: { seed: number; classes: number; imageSize: number } | null;
}

/** How an image is brought to a square: stretch, centre-crop, or letterbox. */
export type ResizeMode = "squish" | "crop" | "pad";

/** What the backbone's weights expect. */
export type NormalizeMode = "caffe" | "imagenet" | "none";

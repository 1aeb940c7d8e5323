/**
 * `--check-data`: how many images a config's data has, per class, and how many train in each fold.
 * It lists, checks and splits with the data pipeline's own functions (the same listing, the same
 * full-decode image check and seeded split the engine uses), so `plan` can print the very
 * optimiser step counts that will run and a bad image fails here, not in epoch 2. No tfjs; the
 * check's results are cached by file, so the run (or the next plan) only stats the files.
 */
import { resolve } from "node:path";
import type { ResolvedData } from "@tessera/shared";
import { makeSplit } from "../data/split";
import type { Listing } from "../data/sources/listing";

/** What the data holds, and its split. */
export interface DataCount {
  images: number;
  classes: string[];
  perClass: Record<string, number>;
  /** Train/valid sizes of each fold that will run (one for holdout and predefined). */
  folds: { id: number; train: number; valid: number }[];
  warnings: string[];
}

/** Counts and splits the data of a resolved config; throws DataError/ConfigError naming the file. */
export async function countData(data: ResolvedData, seed: number): Promise<DataCount> {
  if (data.source === "synthetic") {
    const { syntheticDataset } = await import("../data/sources/synthetic");
    const ds = syntheticDataset(data, seed);
    return summarize(
      ds.items.map((i) => ds.classes[i.label]!),
      ds.folds.map((f, j) => ({ id: ds.foldIds[j]!, train: f.train.length, valid: f.valid.length })),
      [],
    );
  }
  const isPredefined = data.split.protocol === "predefined";
  let listing: Listing;
  if (data.source === "folder") {
    const { listFolder } = await import("../data/sources/folder");
    listing = await listFolder({
      root: data.path,
      label: data.label,
      predefined: isPredefined,
      onBadImage: data.on_bad_image,
    });
  } else {
    const { listCsv } = await import("../data/sources/csv");
    listing = await listCsv({
      csv: data.path,
      columns: data.columns,
      predefined: isPredefined,
      onBadImage: data.on_bad_image,
    });
  }
  const { checkImages } = await import("../data/check");
  const { defaultCacheDir } = await import("../data/cache");
  const checked = await checkImages(listing.files, {
    cacheDir: defaultCacheDir(),
    root: resolve(data.path),
    onBadImage: data.on_bad_image,
  });
  const warnings = [
    ...listing.warnings,
    ...checked.good.flatMap((g) => g.warnings),
    ...checked.bad.map((b) => `skipped (on_bad_image: skip): ${b.reason}`),
  ];
  // The pipeline sorts by key before splitting; do the same so the fold sizes match.
  const files = checked.good.map((g) => g.file).sort((a, b) => (a.key < b.key ? -1 : 1));
  const labels = files.map((f) => f.label);
  const predefined = isPredefined ? files.map((f) => f.split) : null;
  const classes = [...new Set(labels)].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  const { folds, foldIds } = makeSplit({ labels: labels.map((l) => index.get(l)!), classes, predefined }, data.split);
  return summarize(
    labels,
    folds.map((f, j) => ({ id: foldIds[j]!, train: f.train.length, valid: f.valid.length })),
    warnings,
  );
}

function summarize(labels: string[], folds: DataCount["folds"], warnings: string[]): DataCount {
  const perClass: Record<string, number> = {};
  for (const l of labels) perClass[l] = (perClass[l] ?? 0) + 1;
  return { images: labels.length, classes: Object.keys(perClass).sort(), perClass, folds, warnings };
}

/** Optimiser steps per epoch as the engine counts them: full batches only (fastai's drop_last). */
export function stepsPerEpoch(trainImages: number, batchSize: number): number {
  const bs = Math.min(batchSize, trainImages);
  return bs > 0 ? Math.max(1, Math.floor(trainImages / bs)) : 0;
}

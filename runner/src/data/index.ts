/**
 * The data pipeline's public API, what the training engine calls:
 *
 * ```ts
 * const ds = await loadDataset(config.data, { seed: config.seed, baseDir: dirname(file) });
 * // ds.classes (sorted), ds.items, ds.folds[f].train/valid, ds.splitHash, ds.dataHash, ds.skipped
 * writeFileSync(join(runDir, RUN_FILES.split), JSON.stringify(splitRecord(ds)));
 * for (const batch of batchOrder(fold.train.length, bs, seed, epoch)) {
 *   const idx = batch.map((p) => fold.train[p]!);
 *   const u8 = await loadImages(ds, idx, stage.size, config.data.resize);     // NHWC uint8
 *   const x = tf.tensor4d(u8, [idx.length, stage.size, stage.size, 3], "float32");
 *   const aug = augmentBatch(x, config.data.augment, seedOf(seed, epoch, step));
 *   const input = normalizeBatch(aug, resolveNormalize(config.data.normalize, built.preprocessing));
 * }
 * ```
 */
export type { DataItem, Dataset, Fold, NormalizeMode, ResizeMode, SkippedFile } from "./types";
export { loadDataset, type LoadOptions, type LoadedDataset } from "./load";
export { loadImages, tile, tileStats } from "./images";
export { batchOrder } from "./batches";
export { augmentBatch, dihedralView, dihedralViews } from "./augment";
export { stainJitter, rgbToHed, hedToRgb } from "./stain";
export { normalizeBatch, resolveNormalize, CAFFE_MEAN_BGR, IMAGENET_MEAN, IMAGENET_STD } from "./normalize";
export { splitRecord, type SplitRecord } from "./record";
export { decodeFile, decodeToRgb } from "./decode";
export { defaultCacheDir, clearCache, cacheStats, memoryCache } from "./cache";
export { seedOf, rngFor } from "./rng";
export { renderTissue, STAIN_VECTORS } from "./synthetic/tissue";
export { syntheticClassName } from "./sources/synthetic";

/**
 * The batches an LR sweep trains on, drawn one way for the finder inside a run (`lr: {find: true}`)
 * and for `tessera lr-find`, so the command shows the curve the run will see for the same seed.
 * Sweep step i is batch (i mod steps-per-epoch) of a pass shuffled apart from the training passes
 * (pass -1, -2, ...), with augmentation and dropout seeded by (seed, stage, i).
 */
import type { ResolvedStage } from "@tessera/shared";
import * as tf from "../../tf";
import { mulberry32, seedOf, shuffleInPlace } from "../../data/rng";
import type { TrainData, TrainFold } from "../loop/data";

/** The order of one pass over a fold's training items; the loop's epochs and the finder's passes share it. */
export function passOrder(seed: number, fold: TrainFold, stage: Pick<ResolvedStage, "index">, pass: number): number[] {
  return shuffleInPlace([...fold.train], mulberry32(seedOf(seed, "order", fold.id ?? -1, stage.index, pass)));
}

/** Batch size and steps per epoch of a stage on a fold (drop_last, like fastai). */
export function stageSteps(
  fold: TrainFold,
  stage: Pick<ResolvedStage, "batch_size">,
): { bs: number; stepsPerEpoch: number } {
  const bs = Math.min(stage.batch_size, fold.train.length);
  return { bs, stepsPerEpoch: Math.max(1, Math.floor(fold.train.length / bs)) };
}

/** `batch(i)` for `findLr`: the sweep's i-th batch of `stage` on `fold`. */
export function stageBatches(opts: {
  data: TrainData;
  fold: TrainFold;
  stage: ResolvedStage;
  seed: number;
}): (i: number) => Promise<{ x: tf.Tensor4D; y: tf.Tensor1D }> {
  const { data, fold, stage, seed } = opts;
  const { bs, stepsPerEpoch } = stageSteps(fold, stage);
  return async (i) => {
    const pass = Math.floor(i / stepsPerEpoch);
    const b = i % stepsPerEpoch;
    const idx = passOrder(seed, fold, stage, -1 - pass).slice(b * bs, (b + 1) * bs);
    const x = await data.input(idx, stage.size, { seed: seedOf(seed, "lr-find", stage.index, i) });
    const y = tf.tensor1d(
      idx.map((j) => data.labels[j]!),
      "int32",
    );
    // Dropout draws from Math.random (tfjs takes no seed there): seed it per sweep step.
    Math.random = mulberry32(seedOf(seed, "dropout-lr-find", fold.id ?? -1, stage.index, i));
    return { x, y };
  };
}

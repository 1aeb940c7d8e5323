/**
 * Test fixtures for the BatchNorm-mode and recomputation tests: seeded random "images" as a
 * `TrainData`, a tiny ResNet, and a stage run through the real loop (`runStage`).
 */
import type { ResolvedStage } from "@tessera/shared";
import * as tf from "../../tf";
import { normalizeBatch } from "../../data";
import { buildModel, type BuiltModel } from "../../model";
import type { TrainData } from "./data";
import { runStage } from "./stage";
import { freezeForStage } from "./step";

/** `n` seeded random images of `size` px over 3 classes; the last third is the validation fold. */
export function randomData(n: number, size: number): TrainData {
  const pixels = new Uint8Array(n * size * size * 3);
  let s = 12345;
  for (let i = 0; i < pixels.length; i++) pixels[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  const labels = Array.from({ length: n }, (_, i) => i % 3);
  const one = size * size * 3;
  const rows = (indices: number[]) => {
    const out = new Uint8Array(indices.length * one);
    indices.forEach((item, k) => out.set(pixels.subarray(item * one, (item + 1) * one), k * one));
    return out;
  };
  const nTrain = Math.round((n * 2) / 3);
  return {
    classes: ["a", "b", "c"],
    labels,
    keys: labels.map((_, i) => `img${i}`),
    folds: [
      {
        id: null,
        train: Array.from({ length: nTrain }, (_, i) => i),
        valid: Array.from({ length: n - nTrain }, (_, i) => nTrain + i),
      },
    ],
    dataHash: "d",
    splitHash: "s",
    skipped: 0,
    pixels: async (indices) => rows(indices),
    input: async (indices, sz) =>
      tf.tidy(() => normalizeBatch(tf.tensor4d(rows(indices), [indices.length, sz, sz, 3], "float32"), "imagenet")),
  };
}

/** A ResNet of 1/8 width with three groups (`body`, `late` = conv5, `head`), random init. */
export function tinyResNet(backbone: "resnet18" | "resnet50" = "resnet18", seed = 3): Promise<BuiltModel> {
  return buildModel(
    {
      backbone,
      pretrained: "none",
      width: 0.125,
      head: { dropout: 0, hidden: 0 },
      groups: { body: ["stem", "conv2", "conv3", "conv4"], late: ["conv5"], head: ["head"] },
    },
    3,
    { seed },
  );
}

/** A one-epoch stage at `size` px with a fixed LR; `over` changes any field. */
export function tinyStage(size: number, over: Partial<ResolvedStage> = {}): ResolvedStage {
  return {
    name: "s",
    index: 0,
    trainable: ["body", "late", "head"],
    train_bn: true,
    bn: "train",
    epochs: 1,
    size,
    batch_size: 4,
    lr: { kind: "fixed", min: 1e-2, max: 1e-2 },
    schedule: { name: "constant" },
    ...over,
  };
}

/** Runs `stage` on `built` through the real stage loop (Adam, no hooks). */
export function runTinyStage(built: BuiltModel, data: TrainData, stage: ResolvedStage, recompute = false) {
  return runStage({
    model: built.model,
    groups: built.groups.map((g) => g.name),
    setTrainable: (trainable, trainBn, bn) => freezeForStage(built, trainable, trainBn, bn),
    stage,
    optimizer: { name: "adam", weight_decay: 0.01, momentum: 0.9, beta1: 0.9, beta2: 0.99, eps: 1e-5 },
    microBatch: stage.batch_size,
    recompute,
    data,
    fold: data.folds[0]!,
    seed: 9,
    hooks: [],
    monitor: "valid.accuracy",
    mode: "max",
  });
}

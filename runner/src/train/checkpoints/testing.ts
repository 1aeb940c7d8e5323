/** Test helpers shared by the checkpoint tests: a tiny Keras-named model and a checkpoint record. */
import * as tf from "../../tf";
import type { CheckpointInfo } from "./io";

/**
 * conv1_conv (3x3) -> conv1_bn (unless `bn: false`) -> global average pool -> logits (3 classes).
 * `size` null takes any image size.
 */
export function tinyCheckpointModel(
  opts: { filters?: number; size?: number | null; bn?: boolean } = {},
): tf.LayersModel {
  const size = opts.size === undefined ? 8 : opts.size;
  const input = tf.input({ shape: [size, size, 3] as unknown as number[] });
  let y = tf.layers
    .conv2d({ filters: opts.filters ?? 2, kernelSize: 3, name: "conv1_conv" })
    .apply(input) as tf.SymbolicTensor;
  if (opts.bn !== false) y = tf.layers.batchNormalization({ name: "conv1_bn" }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({ name: "avg_pool" }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.dense({ units: 3, name: "logits" }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y });
}

/** A checkpoint record of the `head` stage for classes a, b, c at 8 px; `overrides` change any field. */
export function checkpointInfo(overrides: Partial<CheckpointInfo> = {}): CheckpointInfo {
  return {
    format: 1,
    stage: "head",
    epoch: 1,
    step: 5,
    fold: null,
    monitor: "valid.accuracy",
    value: 0.5,
    classes: ["a", "b", "c"],
    preprocessing: "none",
    size: 8,
    time: "2026-01-01T00:00:00.000Z",
    ...overrides,
  };
}

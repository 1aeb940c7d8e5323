/**
 * The classifier head that replaces ImageNet's 1000-way layer: global average pool, optional
 * dropout, optional hidden dense layer, then an N-way dense layer that outputs LOGITS (no softmax):
 * the engine's loss is `tf.losses.softmaxCrossEntropy` on logits (numerically stable), and
 * predictions apply `tf.softmax` themselves.
 */
import * as tf from "../tf";
import type { ResolvedModel } from "@tessera/shared";

/** Name of the final N-way dense layer (Keras calls its softmax version `predictions`). */
export const LOGITS_LAYER = "logits";

/** Appends the head to the backbone's output; returns the logits `[batch, numClasses]`. */
export function buildHead(
  x: tf.SymbolicTensor,
  numClasses: number,
  head: ResolvedModel["head"],
  seed: number,
): tf.SymbolicTensor {
  let y = tf.layers.globalAveragePooling2d({ name: "avg_pool" }).apply(x) as tf.SymbolicTensor;
  if (head.dropout > 0) {
    // No seed: tfjs would reuse one fixed mask on every step.
    y = tf.layers.dropout({ rate: head.dropout, name: "head_dropout" }).apply(y) as tf.SymbolicTensor;
  }
  if (head.hidden > 0) {
    y = tf.layers
      .dense({
        units: head.hidden,
        activation: "relu",
        kernelInitializer: tf.initializers.heNormal({ seed: seed + 1 }),
        name: "head_hidden",
      })
      .apply(y) as tf.SymbolicTensor;
  }
  return tf.layers
    .dense({
      units: numClasses,
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }),
      name: LOGITS_LAYER,
    })
    .apply(y) as tf.SymbolicTensor;
}

/**
 * Validation: the model in inference mode over a set of images in batches, giving per-image
 * predictions and losses (for top losses) and the metrics of `metrics.ts`. With `tta` the softmax
 * of the 8 dihedral views of each image is averaged before the argmax.
 */
import * as tf from "../tf";
import { dihedralViews } from "../data";
import { accuracyOf, confusionMatrix, perClassScores } from "@tessera/shared";
import type { PerClass } from "@tessera/shared";
import { tfjsInferer, type Inferer } from "./engine";

/** Builds the model's input (normalised NHWC float32) for these items at this size. */
export type InputFn = (indices: number[], size: number) => Promise<tf.Tensor4D>;

export interface EvalResult {
  loss: number;
  accuracy: number;
  confusion: number[][];
  perClass: PerClass[];
  /** Per evaluated item, in the order given. */
  predicted: Int32Array;
  losses: Float32Array;
  /** Softmax probabilities, `n x numClasses` row-major. */
  probs: Float32Array;
}

/**
 * Softmax probabilities of a batch; TTA averages them over the dihedral views. A tfjs model runs
 * in tfjs; an {@link Inferer} runs each view on its engine (ONNX Runtime or tfjs).
 */
export async function predictProbs(
  model: tf.LayersModel | Inferer,
  x: tf.Tensor4D,
  tta: boolean,
): Promise<tf.Tensor2D> {
  const inferer = "run" in model ? model : tfjsInferer(model);
  const views = tta ? dihedralViews(x) : [x];
  const probs: tf.Tensor2D[] = [];
  for (const v of views) {
    const logits = await inferer.run(v);
    probs.push(tf.softmax(logits as tf.Tensor2D));
    logits.dispose();
    if (v !== x) v.dispose();
  }
  if (probs.length === 1) return probs[0]!;
  const mean = tf.tidy(() => tf.div(tf.addN(probs), probs.length) as tf.Tensor2D);
  tf.dispose(probs);
  return mean;
}

/** Evaluates `indices` (labels `labels[i]`) at `size`, `batchSize` images at a time. */
export async function evaluate(opts: {
  model: tf.LayersModel | Inferer;
  input: InputFn;
  indices: number[];
  labels: ArrayLike<number>;
  classes: string[];
  size: number;
  batchSize: number;
  tta?: boolean;
}): Promise<EvalResult> {
  const { indices, classes } = opts;
  const n = indices.length;
  const k = classes.length;
  const predicted = new Int32Array(n);
  const losses = new Float32Array(n);
  const probs = new Float32Array(n * k);
  for (let start = 0; start < n; start += opts.batchSize) {
    const chunk = indices.slice(start, start + opts.batchSize);
    const x = await opts.input(chunk, opts.size);
    const p = await predictProbs(opts.model, x, opts.tta ?? false);
    x.dispose();
    const values = await p.data();
    p.dispose();
    probs.set(values, start * k);
    chunk.forEach((item, j) => {
      const row = values.subarray(j * k, (j + 1) * k);
      let best = 0;
      for (let c = 1; c < k; c++) if (row[c]! > row[best]!) best = c;
      predicted[start + j] = best;
      // Cross-entropy from the probabilities, floored so a confident miss stays finite.
      losses[start + j] = -Math.log(Math.max(row[opts.labels[item]!]!, 1e-12));
    });
  }
  const truth = indices.map((i) => opts.labels[i]!);
  const confusion = confusionMatrix(truth, predicted, k);
  const loss = n === 0 ? NaN : losses.reduce((a, b) => a + b, 0) / n;
  return {
    loss,
    accuracy: accuracyOf(confusion),
    confusion,
    perClass: perClassScores(confusion, classes),
    predicted,
    losses,
    probs,
  };
}

import { describe, expect, it } from "vitest";
import * as tf from "../../tf";
import { findLr } from "./find";

/** conv -> BatchNorm -> pool -> dense: BN's moving statistics change in training mode too. */
function model(): tf.LayersModel {
  const input = tf.input({ shape: [4, 4, 3] });
  let y = tf.layers
    .conv2d({ filters: 2, kernelSize: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) })
    .apply(input) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization({ momentum: 0.5 }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  y = tf.layers
    .dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) })
    .apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y });
}

describe("findLr on a model", () => {
  // A micro-batch below the batch size makes each step await between chunks: the batch must live
  // until the step is done (it was once disposed under it).
  it.for([8, 3])(
    "sweeps upwards, then puts every weight (BN statistics included) back as it was (micro-batch %i)",
    async (microBatch) => {
      const m = model();
      const before = m.getWeights().map((w) => Array.from(w.dataSync()));
      const variables = new Map([["all", m.trainableWeights.map((w) => w.read() as tf.Variable)]]);
      const tensorsBefore = tf.memory().numTensors;
      const steps: number[] = [];
      const result = await findLr({
        onStep: (p) => {
          expect(p.steps).toBe(30);
          steps.push(p.step);
        },
        model: m,
        variables,
        optimizer: { name: "adam", weight_decay: 0, momentum: 0.9, beta1: 0.9, beta2: 0.99, eps: 1e-5 },
        numClasses: 2,
        microBatch,
        steps: 30,
        start: 1e-5,
        end: 10,
        batch: async (i) => ({
          x: tf.randomUniform([8, 4, 4, 3], 0, 1, "float32", i) as tf.Tensor4D,
          y: tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1], "int32"),
        }),
      });
      expect(result.points.length).toBeGreaterThan(5);
      // One progress call per recorded point, 1-based, in order.
      expect(steps).toEqual(result.points.map((_, i) => i + 1));
      expect(result.points.every((p, i) => i === 0 || p.lr > result.points[i - 1]!.lr)).toBe(true);
      expect(Object.values(result.suggestions).every((v) => v > 0 && Number.isFinite(v))).toBe(true);
      expect(m.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(before);
      expect(tf.memory().numTensors).toBe(tensorsBefore);
    },
  );
});

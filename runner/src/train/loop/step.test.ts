import { describe, expect, it } from "vitest";
import * as tf from "../../tf";
import { GroupOptimizer } from "./optim";
import { trainStep } from "./step";

const sgd = { name: "sgd", weight_decay: 0, momentum: 0, beta1: 0.9, beta2: 0.99, eps: 1e-5 } as const;

/** A tiny model over 2x2x1 "images": flatten -> dense(3), seeded, so runs can be compared. */
function tinyModel(): tf.LayersModel {
  const input = tf.input({ shape: [2, 2, 1] });
  const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), name: "logits" })
    .apply(flat) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** The same head over rank-2 features, as the suffix model of a cached stage sees them. */
function featureModel(): tf.LayersModel {
  const input = tf.input({ shape: [4] });
  const out = tf.layers
    .dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), name: "logits" })
    .apply(input) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

async function step(microBatch: number, rank2 = false): Promise<{ loss: number; weights: number[] }> {
  const model = rank2 ? featureModel() : tinyModel();
  const vars = new Map([["head", model.trainableWeights.map((w) => w.read() as tf.Variable)]]);
  const values = [1, 2, 3, 4, 0, 1, 0, 1, -1, 2, 0.5, 0, 3, 3, 1, -2];
  // Rank 2 is what a stage on cached (pooled) activations feeds the loop.
  const x = rank2 ? tf.tensor2d(values, [4, 4]) : tf.tensor4d(values, [4, 2, 2, 1]);
  const y = tf.tensor1d([0, 1, 2, 1], "int32");
  const loss = await trainStep({
    model,
    x,
    y,
    numClasses: 3,
    variables: vars,
    optimizer: new GroupOptimizer(sgd),
    lrs: { head: 0.1 },
    mom: null,
    microBatch,
  });
  return { loss, weights: model.getWeights().flatMap((w) => Array.from(w.dataSync())) };
}

describe("trainStep", () => {
  it.for([false, true])(
    "gives the same loss and update whether the batch is split into micro-batches or not (rank-2 input: %s)",
    async (rank2) => {
      const full = await step(4, rank2);
      for (const micro of [2, 1, 3]) {
        const split = await step(micro, rank2);
        expect(split.loss).toBeCloseTo(full.loss, 5);
        split.weights.forEach((w, i) => expect(w).toBeCloseTo(full.weights[i]!, 5));
      }
      expect(full.weights).not.toEqual(
        (rank2 ? featureModel() : tinyModel()).getWeights().flatMap((w) => Array.from(w.dataSync())),
      );
    },
  );

  it("leaves no tensors behind", async () => {
    const model = tinyModel();
    const vars = new Map([["head", model.trainableWeights.map((w) => w.read() as tf.Variable)]]);
    const opt = new GroupOptimizer({ ...sgd, momentum: 0.9 });
    const x = tf.ones([4, 2, 2, 1]) as tf.Tensor4D;
    const y = tf.tensor1d([0, 1, 2, 1], "int32");
    const run = () =>
      trainStep({
        model,
        x,
        y,
        numClasses: 3,
        variables: vars,
        optimizer: opt,
        lrs: { head: 0.1 },
        mom: null,
        microBatch: 2,
      });
    await run(); // creates the momentum buffers
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await run();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("returns a non-finite loss without stepping", async () => {
    const model = tinyModel();
    const vars = new Map([["head", model.trainableWeights.map((w) => w.read() as tf.Variable)]]);
    const before = model.getWeights().flatMap((w) => Array.from(w.dataSync()));
    const x = tf.tensor4d([NaN, 0, 0, 0], [1, 2, 2, 1]);
    const loss = await trainStep({
      model,
      x,
      y: tf.tensor1d([0], "int32"),
      numClasses: 3,
      variables: vars,
      optimizer: new GroupOptimizer(sgd),
      lrs: { head: 0.1 },
      mom: null,
      microBatch: 1,
    });
    expect(Number.isNaN(loss)).toBe(true);
    expect(model.getWeights().flatMap((w) => Array.from(w.dataSync()))).toEqual(before);
  });
});

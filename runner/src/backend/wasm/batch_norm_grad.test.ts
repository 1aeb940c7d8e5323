import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
// tfjs-layers registers every op gradient (tfjs-core's Node bundle alone registers none).
import "@tensorflow/tfjs-layers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareWasmBackend } from "./index";
import { registerBatchNormGrad, unregisterBatchNormGrad } from "./batch_norm_grad";
import { compareOnBackends, weightedSum } from "./testing";

beforeAll(async () => {
  await prepareWasmBackend();
});
afterAll(() => registerBatchNormGrad());

/** Training-mode batch norm as tfjs-layers runs it: batch moments, then FusedBatchNorm. */
function bnLoss(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Scalar {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const y = tf.batchNorm(x, mean, variance, beta, gamma, 1e-3);
  return weightedSum(y);
}

describe("Tile-free FusedBatchNorm gradient", () => {
  it.for([
    [2, 5, 4, 3],
    [4, 7, 6, 16],
    [1, 3, 9, 5],
  ])("matches tfjs-core's gradient on cpu, x %j", (shape) => {
    const c = shape[3]!;
    const diff = compareOnBackends(`bn x${shape.join("x")}`, [shape, [c], [c]], (xs) => {
      // cpu: tfjs-core's gradient; wasm: ours.
      if (tf.getBackend() === "cpu") unregisterBatchNormGrad();
      else registerBatchNormGrad();
      const grads = tf.grads((...a: tf.Tensor[]) => bnLoss(a[0]!, a[1]!, a[2]!))(xs);
      return grads;
    });
    expect(diff.rel).toBeLessThan(1e-4);
  });

  it("is installed for FusedBatchNorm and leaves no tensors behind", () => {
    registerBatchNormGrad();
    expect(tf.getGradient("FusedBatchNorm")?.gradFunc.toString()).not.toContain("tile");
    const x = tf.randomNormal([2, 4, 4, 3]);
    const g = tf.ones([3]);
    const b = tf.zeros([3]);
    const before = tf.memory().numTensors;
    const grads = tf.grads((...a: tf.Tensor[]) => bnLoss(a[0]!, a[1]!, a[2]!))([x, g, b]);
    expect(tf.memory().numTensors - before).toBe(3);
    tf.dispose([...grads, x, g, b]);
  });
});

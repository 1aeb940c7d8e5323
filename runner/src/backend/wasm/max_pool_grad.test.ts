import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
// tfjs-layers registers every op gradient (tfjs-core's Node bundle alone registers none).
import "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { prepareWasmBackend } from "./index";
import { maxPoolGradConfig } from "./max_pool_grad";
import { compareOnBackends, weightedSum } from "./testing";

interface Case {
  x: [number, number, number, number];
  f: number | [number, number];
  stride: number | [number, number];
  pad: "same" | "valid";
}

// ResNet's stem pool (3x3/2 valid on a zero-padded input) first; then same/valid, strides 1/2/3 and
// unequal, windows smaller and larger than the stride, non-square inputs, batch > 1.
const cases: Case[] = [
  { x: [2, 18, 18, 8], f: 3, stride: 2, pad: "valid" },
  { x: [2, 9, 7, 3], f: 3, stride: 2, pad: "same" },
  { x: [2, 8, 8, 4], f: 2, stride: 2, pad: "valid" },
  { x: [1, 7, 9, 2], f: 3, stride: 1, pad: "same" },
  { x: [3, 11, 13, 2], f: 3, stride: 3, pad: "same" },
  { x: [2, 10, 9, 3], f: [2, 3], stride: [2, 1], pad: "valid" },
  { x: [2, 9, 8, 5], f: 1, stride: 2, pad: "valid" },
  { x: [1, 12, 10, 4], f: 5, stride: 2, pad: "same" },
];

const name = (c: Case) => `x${c.x.join("x")} f${String(c.f)} s${String(c.stride)} ${c.pad}`;

beforeAll(async () => {
  await prepareWasmBackend();
});

/** dx of sum(maxPool(x) * a non-uniform weight), so every dy value is distinct. */
function poolGrad(x: tf.Tensor, c: Case): tf.Tensor {
  return tf.grad((t: tf.Tensor) => {
    const y = tf.maxPool(t as tf.Tensor4D, c.f, c.stride, c.pad);
    return weightedSum(y);
  })(x);
}

describe("vectorised wasm MaxPoolGrad against cpu", () => {
  it("is registered for wasm", () => {
    expect(tf.getKernel("MaxPoolGrad", "wasm")).toBe(maxPoolGradConfig);
  });

  it.for(cases)("random input, $x f$f s$stride $pad", (c) => {
    const diff = compareOnBackends(name(c), [c.x], ([x]) => [poolGrad(x!, c)]);
    expect(diff.rel).toBeLessThan(1e-5);
  });

  // After ReLU many windows hold several equal maxima (often all zeros): the gradient must go to the
  // first one only, as on cpu; sending it to every tie would double-count.
  it.for(cases)("input full of ties, $x f$f s$stride $pad", (c) => {
    const diff = compareOnBackends(`ties ${name(c)}`, [c.x], ([x]) => [
      tf.tidy(() => poolGrad(tf.relu(tf.round(tf.mul(x!, 2))), c)),
    ]);
    // Only float rounding (summation order): a misplaced dy value would be an O(1) difference.
    expect(diff.rel).toBeLessThan(1e-5);
  });
});

import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { prepareWasmBackend } from "./index";
import { compareOnBackends } from "./testing";

beforeAll(async () => {
  await prepareWasmBackend();
});

describe("wasm Sum/Mean over leading axes against cpu", () => {
  it.for([
    { shape: [16, 32, 32, 8], axes: [0, 1, 2], keepDims: false },
    { shape: [4, 5, 6, 7], axes: [2, 0, 1], keepDims: true },
    { shape: [9, 3], axes: [0], keepDims: false },
    { shape: [4, 5, 6, 7], axes: [1, 2], keepDims: false }, // not leading: the backend's own kernel
    { shape: [4, 5, 6, 7], axes: [0, 1, 2, 3], keepDims: false },
  ])("sum and mean of $shape over $axes", ({ shape, axes, keepDims }) => {
    const diff = compareOnBackends(`reduce ${shape.join("x")} axes ${axes.join(",")}`, [shape], ([x]) => [
      tf.sum(x!, axes, keepDims),
      tf.mean(x!, axes, keepDims),
    ]);
    expect(diff.rel).toBeLessThan(1e-4);
  });

  it("keeps the cpu output shape", async () => {
    const x = tf.ones([2, 3, 4, 5]);
    tf.setBackend("wasm");
    expect(tf.sum(x, [0, 1, 2], true).shape).toEqual([1, 1, 1, 5]);
    expect(tf.mean(x, [1, 0]).shape).toEqual([4, 5]);
    for (const v of await tf.mean(x, [0, 1, 2]).data()) expect(v).toBeCloseTo(1, 6);
  });
});

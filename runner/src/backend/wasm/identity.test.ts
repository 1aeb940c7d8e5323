import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { prepareWasmBackend } from "./index";

beforeAll(async () => {
  await prepareWasmBackend();
});

describe("wasm Identity shares its input's buffer", () => {
  it("clones without a new buffer, and the clone outlives the original", () => {
    const x = tf.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const buffers = tf.backend().numDataIds();
    const y = tf.clone(x);
    // The stock kernel allocates and copies a new buffer here.
    expect(tf.backend().numDataIds()).toBe(buffers);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(y.shape).toEqual([2, 3]);
    y.dispose();
    expect(tf.backend().numDataIds()).toBe(buffers - 1);
  });

  it("shares for a same-dtype Cast, converts for another dtype", () => {
    const x = tf.tensor([1.5, -2, 0], [3]);
    const buffers = tf.backend().numDataIds();
    const same = tf.cast(x, "float32");
    expect(tf.backend().numDataIds()).toBe(buffers);
    const ints = tf.cast(x, "int32");
    expect(tf.backend().numDataIds()).toBe(buffers + 1);
    x.dispose();
    expect(Array.from(same.dataSync())).toEqual([1.5, -2, 0]);
    expect(Array.from(ints.dataSync())).toEqual([1, -2, 0]);
    tf.dispose([same, ints]);
  });

  it("leaves a gradient unchanged (the engine clones every tensor a gradient saves)", () => {
    const w = tf.variable(tf.tensor([0.5, -1, 2], [3]));
    const x = tf.tensor([1, 2, 3], [3]);
    const before = tf.backend().numDataIds();
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.relu(tf.mul(w, x)), x)));
    expect(value.dataSync()[0]).toBeCloseTo(0.5 * 1 + 6 * 3);
    expect(Array.from(grads[w.name]!.dataSync())).toEqual([1, 0, 9]);
    tf.dispose([value, grads[w.name]!]);
    // Shared buffers are freed with their last tensor: nothing left behind.
    expect(tf.backend().numDataIds()).toBe(before);
    tf.dispose([w, x]);
  });
});

/**
 * Correctness of the webgpu backend against `cpu`: the forward pass and gradients of every kernel
 * a ResNet training step uses. In CI this runs on Mesa's lavapipe (a CPU Vulkan driver), the same
 * shaders a real GPU runs. Without a Vulkan (or Metal/D3D12) adapter the tests skip with one line
 * saying what to install, and fail under TESSERA_REQUIRE_COMPONENTS=1 (tests/helpers/components).
 * Dawn's OpenGL path is not used here: it is tested in software-adapter.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { missingComponent } from "../../../../tests/helpers/components";
import * as tf from "../../tf";
import { prepareWebgpuBackend, releaseWebgpu, takeWebgpuErrors, type WebgpuAdapterInfo } from "./index";

const unavailable = (await missingComponent("webgpu")) ?? "";
let info: WebgpuAdapterInfo | null = null;

beforeAll(async () => {
  if (unavailable) return;
  info = await prepareWebgpuBackend({ allowFallback: true, openglFallback: false });
  await tf.setBackend("cpu");
});
afterAll(() => releaseWebgpu());

/** Seeded values so both backends see the same numbers. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

/** Runs `f` on a backend with fresh tensors and returns plain arrays. */
async function on(backend: string, f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outputs = f();
  const data = await Promise.all(outputs.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(outputs);
  return data;
}

function maxDiff(a: Float32Array, b: Float32Array) {
  let abs = 0;
  let scale = 1e-6;
  for (let i = 0; i < a.length; i++) {
    abs = Math.max(abs, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(a[i]!));
  }
  return { abs, rel: abs / scale };
}

async function expectSame(label: string, f: () => tf.Tensor[], tolerance = 1e-4) {
  const cpu = await on("cpu", f);
  const gpu = await on("webgpu", f);
  expect(takeWebgpuErrors()).toEqual([]);
  cpu.forEach((c, i) => {
    const { abs, rel } = maxDiff(c, gpu[i]!);
    console.log(`${label}[${i}] max abs ${abs.toExponential(2)} rel ${rel.toExponential(2)}`);
    expect(rel, `${label} output ${i}`).toBeLessThan(tolerance);
  });
}

describe("webgpu backend", () => {
  it("reports its adapter", (ctx) => {
    if (!info) return ctx.skip(unavailable);
    console.log(
      `adapter: ${info.description} (${info.vendor}/${info.architecture}, software=${info.software ?? "no"})`,
    );
    expect(info.vendor.length).toBeGreaterThan(0);
    expect(info.description.length).toBeGreaterThan(0);
    expect(info.maxStorageBuffersPerShaderStage).toBeGreaterThanOrEqual(8);
  });

  it("AddN of many inputs is right (chunked past the storage-buffer limit)", async (ctx) => {
    if (!info) return ctx.skip(unavailable);
    for (const n of [2, 7, 9, 20, 37]) {
      await expectSame(
        `addN(${n})`,
        () => [tf.addN(Array.from({ length: n }, (_, i) => tf.tensor1d(values(64, i + 1))))],
        1e-5,
      );
    }
  });

  const convCases: [number[], number[], number, "same" | "valid"][] = [
    [[2, 9, 9, 3], [1, 1, 3, 4], 1, "same"],
    [[2, 9, 7, 3], [3, 3, 3, 5], 1, "same"],
    [[1, 12, 10, 4], [3, 3, 4, 6], 2, "same"],
    [[2, 16, 16, 3], [7, 7, 3, 4], 2, "valid"],
    [[1, 11, 11, 2], [3, 2, 2, 3], 3, "valid"],
  ];
  it.for(convCases)("conv2d x%j w%j stride %i %s: forward and both gradients", async ([xs, ws, stride, pad], ctx) => {
    if (!info) return ctx.skip(unavailable);
    await expectSame(`conv2d`, () => {
      const x = tf.tensor4d(
        values(
          xs.reduce((a, b) => a * b),
          3,
        ),
        xs as [number, number, number, number],
      );
      const w = tf.tensor4d(
        values(
          ws.reduce((a, b) => a * b),
          5,
        ),
        ws as [number, number, number, number],
      );
      const f = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.conv2d(a, b, stride, pad).square().sum();
      const [dx, dw] = tf.grads(f as (...args: tf.Tensor[]) => tf.Tensor)([x, w]);
      return [tf.conv2d(x, w, stride, pad), dx!, dw!];
    });
  });

  it("a ResNet block (conv, batch norm, relu, max pool, residual add, global pool, dense, softmax CE): loss and every gradient", async (ctx) => {
    if (!info) return ctx.skip(unavailable);
    await expectSame("resnet-block", () => {
      const x = tf.tensor4d(values(2 * 16 * 16 * 3, 11), [2, 16, 16, 3]);
      const labels = tf.oneHot(tf.tensor1d([1, 3], "int32"), 4);
      const w1 = tf.variable(tf.tensor4d(values(3 * 3 * 3 * 8, 12), [3, 3, 3, 8]));
      const w2 = tf.variable(tf.tensor4d(values(3 * 3 * 8 * 8, 13), [3, 3, 8, 8]));
      const gamma = tf.variable(tf.ones([8]));
      const beta = tf.variable(tf.zeros([8]));
      const dense = tf.variable(tf.tensor2d(values(8 * 4, 14), [8, 4]));
      const { value, grads } = tf.variableGrads(() => {
        const h = tf.conv2d(x, w1, 2, "same");
        const { mean, variance } = tf.moments(h, [0, 1, 2]);
        const bn = tf.batchNorm(h, mean, variance, beta, gamma, 1e-3).relu() as tf.Tensor4D;
        const pooled = tf.maxPool(bn, 3, 2, "same");
        const residual = tf.add(pooled, tf.conv2d(pooled, w2, 1, "same")).relu();
        const logits = tf.matMul(tf.mean(residual, [1, 2]), dense);
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      }, [w1, w2, gamma, beta, dense]);
      const out = [value, ...[w1, w2, gamma, beta, dense].map((v) => grads[v.name]!)];
      tf.dispose([w1, w2, gamma, beta, dense]);
      return out;
    });
  });
});

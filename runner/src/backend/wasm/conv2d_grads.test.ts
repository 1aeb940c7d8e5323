import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
// tfjs-layers registers every op gradient (tfjs-core's Node bundle alone registers none).
import "@tensorflow/tfjs-layers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareWasmBackend } from "./index";
import { FusedKernel, registerFusedKernels, unregisterFusedKernels } from "./fused_kernels";
import { loadFused } from "./native";
import { type ConvCase, compareOnBackends, convCaseLabel, weightedSum, innerKernels } from "./testing";

// Strides 1/2/3, same/valid/explicit padding, 1x1/3x3/7x7 and non-square inputs and kernels, batch > 1.
const cases: ConvCase[] = [
  { x: [2, 8, 8, 3], f: [3, 3, 3, 4], stride: 1, pad: "same" },
  { x: [2, 9, 7, 3], f: [3, 3, 3, 5], stride: 2, pad: "same" },
  { x: [2, 10, 10, 4], f: [3, 3, 4, 2], stride: 2, pad: "valid" },
  { x: [3, 11, 13, 2], f: [3, 3, 2, 3], stride: 3, pad: "same" },
  { x: [1, 12, 9, 2], f: [3, 2, 2, 3], stride: 3, pad: "valid" },
  { x: [2, 8, 8, 6], f: [1, 1, 6, 5], stride: 1, pad: "valid" },
  { x: [2, 9, 8, 6], f: [1, 1, 6, 5], stride: 2, pad: "same" },
  // 1x1 padded below and on the right: zero pixels that the 1x1 matrix product does not cover.
  {
    x: [2, 6, 5, 6],
    f: [1, 1, 6, 4],
    stride: 1,
    pad: [
      [0, 0],
      [0, 1],
      [0, 1],
      [0, 0],
    ],
  },
  { x: [2, 16, 14, 3], f: [7, 7, 3, 4], stride: 2, pad: "same" },
  { x: [2, 15, 17, 3], f: [7, 5, 3, 2], stride: 1, pad: "valid" },
  {
    x: [2, 10, 9, 3],
    f: [3, 3, 3, 4],
    stride: 1,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  {
    x: [2, 12, 11, 3],
    f: [3, 3, 3, 4],
    stride: 2,
    pad: [
      [0, 0],
      [2, 0],
      [1, 1],
      [0, 0],
    ],
  },
  {
    x: [2, 13, 12, 3],
    f: [5, 3, 3, 2],
    stride: 3,
    pad: [
      [0, 0],
      [2, 1],
      [0, 2],
      [0, 0],
    ],
  },
  { x: [4, 6, 5, 16], f: [2, 4, 16, 8], stride: 2, pad: "same" },
  { x: [2, 9, 10, 3], f: [1, 1, 3, 7], stride: 3, pad: "valid" },
  { x: [2, 11, 9, 4], f: [3, 3, 4, 3], stride: [2, 1], pad: "same" },
  { x: [2, 12, 10, 3], f: [5, 4, 3, 2], stride: [1, 3], pad: "valid" },
  // 8+ input channels: one GEMM per tap over the fused module's shifted pixels.
  { x: [2, 17, 16, 8], f: [3, 3, 8, 6], stride: 1, pad: "same" },
  { x: [4, 24, 22, 9], f: [3, 3, 9, 4], stride: 2, pad: "same" },
  { x: [4, 26, 24, 8], f: [7, 7, 8, 4], stride: 2, pad: "same" },
  { x: [4, 40, 31, 8], f: [3, 2, 8, 3], stride: 3, pad: "valid" },
  {
    x: [2, 20, 18, 8],
    f: [3, 3, 8, 4],
    stride: 1,
    pad: [
      [0, 0],
      [2, 0],
      [1, 1],
      [0, 0],
    ],
  },
];

beforeAll(async () => {
  await prepareWasmBackend();
});

/** dx and dW of a conv under a non-uniform loss (every tap of the gradient checked) match cpu's. */
function gradientsMatchCpu(c: ConvCase): void {
  const diff = compareOnBackends(convCaseLabel(c), [c.x, c.f], ([x, f]) => {
    const [dx, df] = tf.grads((...args: tf.Tensor[]) =>
      weightedSum(tf.conv2d(args[0] as tf.Tensor4D, args[1] as tf.Tensor4D, c.stride, c.pad)),
    )([x!, f!]);
    return [dx!, df!];
  });
  expect(diff.rel).toBeLessThan(1e-4);
}

describe("wasm Conv2D gradients against cpu", () => {
  it.for(cases)("filter and input gradient, $x $f s$stride", gradientsMatchCpu);

  it("takes the per-tap GEMM path from 8 input channels, the Conv2D path below", () => {
    const inner = (x: [number, number, number, number], cin = x[3]) =>
      innerKernels(() =>
        tf.grad((f: tf.Tensor) => tf.sum(tf.conv2d(tf.ones(x) as tf.Tensor4D, f as tf.Tensor4D, 1, "same")))(
          tf.ones([3, 3, cin, 2]),
        ),
      );
    // The per-tap path gathers each tap's pixels with im2col; the other runs a Conv2D inside.
    expect(inner([2, 4, 4, 8])).toContain(FusedKernel.im2col);
    expect(inner([2, 4, 4, 8])).not.toContain("Conv2D");
    expect(inner([2, 16, 16, 7])).not.toContain(FusedKernel.im2col);
    expect(inner([2, 16, 16, 7])).toContain("Conv2D");
  });
});

// Without the fused module (it failed to load, or TESSERA_WASM_FUSED=0) the gradients run as
// XNNPACK convolutions: flipped filters, sub-pixel phases, batch-swapped filter gradients.
describe("wasm Conv2D gradients against cpu, without the fused module", () => {
  beforeAll(() => unregisterFusedKernels());
  afterAll(() => {
    const module = loadFused(tf.backend());
    if ("error" in module) throw new Error(module.error);
    registerFusedKernels(module);
  });

  it.for(cases)("filter and input gradient, $x $f s$stride", gradientsMatchCpu);
});

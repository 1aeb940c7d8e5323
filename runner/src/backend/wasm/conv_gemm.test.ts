import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
// tfjs-layers registers every op gradient (tfjs-core's Node bundle alone registers none).
import "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { prepareWasmBackend } from "./index";
import { FusedKernel } from "./fused_names";
import { type ConvCase, compareOnBackends, convCaseLabel, weightedSum, innerKernels } from "./testing";

beforeAll(async () => {
  const { fused } = await prepareWasmBackend();
  if (fused !== true) throw new Error(`the fused module did not load: ${fused.error}`);
});

describe("the fused module's GEMM", () => {
  // Edges of the 4x8 micro-kernel (m % 4, n % 8), several 256-row and 256-column blocks, k = 1.
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [5, 3, 9],
    [37, 300, 29],
    [6, 513, 260],
    [64, 40, 512],
  ];
  it.for(shapes)("a [%i, %i] b [., %i], plain, with A transposed, and with a bias", ([m, k, n]) => {
    const diff = compareOnBackends(`gemm ${m}x${k}x${n}`, [[m, k], [k, n], [n]], ([a, b, bias]) =>
      tf.tidy(() => {
        const run = (inputs: Record<string, tf.Tensor>, transposeA: boolean): tf.Tensor =>
          tf.backend() === tf.findBackend("wasm")
            ? (tf.engine().runKernel(FusedKernel.gemm, inputs, { transposeA }) as tf.Tensor)
            : tf.add(tf.matMul(inputs.a!, inputs.b!, transposeA), inputs.bias ?? tf.scalar(0));
        const aT = tf.transpose(a!);
        return [run({ a: a!, b: b! }, false), run({ a: aT, b: b! }, true), run({ a: a!, b: b!, bias: bias! }, false)];
      }),
    );
    expect(diff.rel).toBeLessThan(1e-5);
  });

  it("refuses operands that do not multiply, naming both shapes", () => {
    const [a, b] = [tf.zeros([3, 4]), tf.zeros([5, 2])];
    expect(() => tf.engine().runKernel(FusedKernel.gemm, { a, b }, {})).toThrow(/cannot multiply \[3,4\] by \[5,2\]/);
    tf.dispose([a, b]);
  });
});

// 8+ input channels (the GEMM path): 1x1 direct and strided, 3x3/5x3/7x7, strides 1-3 and unequal,
// same/valid/explicit padding, dilation 2, non-square inputs, batch > 1.
const cases: ConvCase[] = [
  { x: [2, 8, 8, 8], f: [1, 1, 8, 12], stride: 1, pad: "valid" },
  { x: [2, 9, 7, 16], f: [1, 1, 16, 5], stride: 2, pad: "same" },
  // 1x1, stride 1, padded on the right only: not the direct (no im2col) case.
  {
    x: [2, 6, 5, 8],
    f: [1, 1, 8, 4],
    stride: 1,
    pad: [
      [0, 0],
      [0, 0],
      [0, 1],
      [0, 0],
    ],
  },
  { x: [2, 9, 7, 8], f: [3, 3, 8, 9], stride: 1, pad: "same" },
  { x: [3, 11, 13, 10], f: [3, 3, 10, 4], stride: 2, pad: "same" },
  { x: [1, 12, 9, 8], f: [5, 3, 8, 3], stride: 3, pad: "valid" },
  { x: [2, 16, 14, 8], f: [7, 7, 8, 4], stride: 2, pad: "same" },
  { x: [2, 11, 9, 12], f: [3, 3, 12, 3], stride: [2, 1], pad: "same" },
  {
    x: [2, 10, 9, 8],
    f: [3, 3, 8, 4],
    stride: 1,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
];

describe("Conv2D and FusedConv2D as im2col + GEMM on wasm, against cpu", () => {
  it.for(cases)("conv, fused conv (bias + relu) and both gradients, $x $f s$stride", (c) => {
    const diff = compareOnBackends(convCaseLabel(c), [c.x, c.f, [c.f[3]]], ([x, f, bias]) =>
      tf.tidy(() => {
        const conv = tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.stride, c.pad, "NHWC", c.dilation ?? 1);
        const fused = (xx: tf.Tensor, ff: tf.Tensor, bb: tf.Tensor) =>
          tf.fused.conv2d({
            x: xx as tf.Tensor4D,
            filter: ff as tf.Tensor4D,
            strides: c.stride,
            pad: c.pad,
            dilations: c.dilation ?? 1,
            bias: bb,
            activation: "relu",
          });
        const y = fused(x!, f!, bias!);
        const grads = tf.grads((...a: tf.Tensor[]) => {
          const out = fused(a[0]!, a[1]!, a[2]!);
          return weightedSum(out);
        })([x!, f!, bias!]);
        return [conv, y, ...grads];
      }),
    );
    expect(diff.rel).toBeLessThan(1e-4);
  });

  it("dilated conv (forward only: tfjs has no gradient for dilations > 1)", () => {
    const diff = compareOnBackends(
      "dilation 2",
      [
        [2, 12, 11, 8],
        [3, 3, 8, 6],
      ],
      ([x, f]) => [tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, "same", "NHWC", 2)],
    );
    expect(diff.rel).toBeLessThan(1e-4);
  });

  it("takes the GEMM path from 8 input channels, XNNPACK's below and for activations it does not fuse", () => {
    const conv =
      (cin: number, activation: "relu" | "elu" = "relu") =>
      () =>
        tf.fused.conv2d({
          x: tf.ones([1, 6, 6, cin]) as tf.Tensor4D,
          filter: tf.ones([3, 3, cin, 4]) as tf.Tensor4D,
          strides: 1,
          pad: "same",
          activation,
        });
    expect(innerKernels(conv(8))).toEqual(expect.arrayContaining([FusedKernel.im2col, FusedKernel.gemm]));
    expect(innerKernels(conv(3))).not.toContain(FusedKernel.gemm);
    expect(innerKernels(conv(8, "elu"))).not.toContain(FusedKernel.gemm);
  });

  it("computes the input gradient with one GEMM and col2im (stride 2 included)", () => {
    const names = innerKernels(() =>
      tf.grad((x: tf.Tensor) => tf.sum(tf.conv2d(x as tf.Tensor4D, tf.ones([3, 3, 4, 2]) as tf.Tensor4D, 2, "same")))(
        tf.ones([1, 8, 8, 4]),
      ),
    );
    expect(names).toEqual(expect.arrayContaining([FusedKernel.gemm, FusedKernel.col2im]));
    expect(names).not.toContain("Conv2D");
  });
});

/**
 * Every convolution of a ResNet training step on the wasm backend, one layer shape at a time:
 * the forward conv, the input gradient and the filter gradient, each with fresh filters (a
 * training step's weights are new every step, so nothing is cached), as ms and GFLOP/s, and the
 * step's total (each shape times its count in the network). `TESSERA_WASM_FUSED=0` runs the same
 * on tfjs-backend-wasm's own kernels (XNNPACK) for an A/B.
 *
 *   pnpm exec tsx bench/conv-layers.ts [--model resnet18|resnet50] [--size 128] [--batch 8]
 *     [--threads 1] [--reps 3]
 */
import { parseArgs } from "node:util";
import * as tf from "../runner/src/tf";
import { prepareWasmBackend } from "../runner/src/backend/wasm";
import { buildBackbone, RESNET_SPECS } from "../runner/src/model/resnet";

const { values: o } = parseArgs({
  options: {
    model: { type: "string", default: "resnet18" },
    size: { type: "string", default: "128" },
    batch: { type: "string", default: "8" },
    threads: { type: "string", default: "1" },
    reps: { type: "string", default: "3" },
  },
});

/** One conv shape of the network: input side and channels, filter size, stride, padding, times it occurs. */
interface Layer {
  name: string;
  hw: number;
  cin: number;
  cout: number;
  k: number;
  stride: number;
  pad: "same" | "valid";
  count: number;
}

/**
 * The conv layers of Tessera's own backbone (model/resnet.ts) at `size` px, grouped by shape and
 * named after the first layer of each shape (Keras names). The input sides come from one forward
 * pass of a zero image through a model whose outputs are every conv's input.
 */
function layers(model: keyof typeof RESNET_SPECS, size: number): Layer[] {
  const { input, output } = buildBackbone(model, { initialize: false });
  const convs = tf.model({ inputs: input, outputs: output }).layers.filter((l) => l.getClassName() === "Conv2D");
  // A shortcut conv and its block's first conv share their input: each tensor is probed once.
  const probed = [...new Set(convs.map((l) => l.input as tf.SymbolicTensor))];
  const probe = tf.model({ inputs: input, outputs: probed });
  const sides = tf.tidy(() => (probe.predict(tf.zeros([1, size, size, 3])) as tf.Tensor[]).map((t) => t.shape));
  const out = new Map<string, Layer>();
  convs.forEach((l) => {
    const { kernelSize, strides, filters, padding } = l.getConfig() as {
      kernelSize: number[];
      strides: number[];
      filters: number;
      padding: "same" | "valid";
    };
    const [, hw = 0, , cin = 0] = sides[probed.indexOf(l.input as tf.SymbolicTensor)]!;
    const shape = { hw, cin, cout: filters, k: kernelSize[0]!, stride: strides[0]!, pad: padding };
    const key = Object.values(shape).join(",");
    const seen = out.get(key);
    if (seen) seen.count++;
    else out.set(key, { name: l.name, ...shape, count: 1 });
  });
  return [...out.values()];
}

/** Mean ms of `reps` calls of `f`, each with a fresh filter of `shape` (plus one warm-up call). */
function time(f: (w: tf.Tensor4D) => tf.Tensor, shape: [number, number, number, number], reps: number): number {
  const ws = Array.from({ length: reps + 1 }, () => tf.randomNormal(shape) as tf.Tensor4D);
  tf.tidy(() => f(ws[0]!)).dataSync();
  const t = performance.now();
  for (let i = 1; i <= reps; i++) tf.tidy(() => f(ws[i]!)).dispose();
  const ms = (performance.now() - t) / reps;
  tf.dispose(ws);
  return ms;
}

const { threads, fused } = await prepareWasmBackend({ threads: Number(o.threads) });
const [n, size, reps] = [Number(o.batch), Number(o.size), Number(o.reps)];
const model = o.model as keyof typeof RESNET_SPECS;
if (!(model in RESNET_SPECS)) throw new Error(`--model: expected one of ${Object.keys(RESNET_SPECS).join(", ")}`);
console.log(
  `${model} ${size} px, batch ${n}, wasm, ${threads} thread(s), fused module: ${fused === true ? "on" : fused.error}`,
);
const total = { fwd: 0, dx: 0, dw: 0 };
const cell = (ms: number, flop: number) =>
  `${ms.toFixed(1).padStart(7)} ms ${(flop / (ms * 1e6)).toFixed(1).padStart(5)} GF/s`;
for (const l of layers(model, size)) {
  const x = tf.randomNormal([n, l.hw, l.hw, l.cin]) as tf.Tensor4D;
  const ho = l.pad === "same" ? Math.ceil(l.hw / l.stride) : Math.floor((l.hw - l.k) / l.stride) + 1;
  const dy = tf.randomNormal([n, ho, ho, l.cout]) as tf.Tensor4D;
  const shape: [number, number, number, number] = [l.k, l.k, l.cin, l.cout];
  const fwd = time((w) => tf.conv2d(x, w, l.stride, l.pad), shape, reps);
  // The stem's input gradient is never computed in training (the image is no variable).
  const dx =
    l.cin === 3 ? 0 : time((w) => tf.conv2dTranspose(dy, w, [n, l.hw, l.hw, l.cin], l.stride, l.pad), shape, reps);
  const filterGrad = () =>
    tf.engine().runKernel(
      "Conv2DBackpropFilter",
      { x, dy },
      {
        strides: l.stride,
        pad: l.pad,
        dataFormat: "NHWC",
        filterShape: shape,
      },
    ) as tf.Tensor;
  const dw = time(filterGrad, shape, reps);
  const flop = 2 * n * ho * ho * l.cout * l.cin * l.k * l.k;
  const dxCell = l.cin === 3 ? "      -" + " ".repeat(15) : cell(dx, flop);
  console.log(
    `${`${l.name} ${l.hw}px ${l.cin}->${l.cout} ${l.k}x${l.k}/${l.stride}`.padEnd(44)} x${String(l.count).padEnd(2)} fwd ${cell(fwd, flop)}  dx ${dxCell}  dw ${cell(dw, flop)}`,
  );
  total.fwd += l.count * fwd;
  total.dx += l.count * dx;
  total.dw += l.count * dw;
  tf.dispose([x, dy]);
}
const sum = total.fwd + total.dx + total.dw;
console.log(
  `one step's convs: fwd ${total.fwd.toFixed(0)} ms, dx ${total.dx.toFixed(0)} ms, dw ${total.dw.toFixed(0)} ms, total ${sum.toFixed(0)} ms`,
);

/**
 * Issue 19 item 4: ONNX Runtime (CPU) against tfjs-wasm for a frozen ResNet50 prefix (the whole
 * convolutional body + global pooling, what the activation cache fills) at 224 px, on the same
 * thread count, in ONE process with the engines alternating round by round so a shared machine's
 * load hits both alike. Prints images/s per engine and the ratio, and checks the outputs agree.
 *
 *   pnpm exec tsx bench/onnx-vs-tfjs.ts [--size 224] [--batch 8] [--rounds 3] [--threads 2]
 */
import { parseArgs } from "node:util";
import { ort } from "../runner/src/export/onnx/runtime";
import * as tf from "../runner/src/tf";
import { selectBackend } from "../runner/src/backend";
import { buildBackbone } from "../runner/src/model/resnet";
import { encodeOnnx, toOnnx } from "../runner/src/export/onnx";

const { values: o } = parseArgs({
  options: {
    size: { type: "string", default: "224" },
    batch: { type: "string", default: "8" },
    rounds: { type: "string", default: "3" },
    threads: { type: "string", default: "2" },
  },
});
const [size, batch, rounds, threads] = [o.size, o.batch, o.rounds, o.threads].map(Number) as [
  number,
  number,
  number,
  number,
];

const backend = await selectBackend("wasm", { threads });
const { input, output } = buildBackbone("resnet50");
const pooled = tf.layers.globalAveragePooling2d({ name: "avg_pool" }).apply(output) as tf.SymbolicTensor;
const prefix = tf.model({ inputs: input, outputs: pooled });
const session = await ort.InferenceSession.create(encodeOnnx(toOnnx(prefix, { size })), {
  executionProviders: ["cpu"],
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
});

const x = tf.randomNormal([batch, size, size, 3], 0, 1, "float32", 1) as tf.Tensor4D;
const xNchw = (await tf.transpose(x, [0, 3, 1, 2]).data()) as Float32Array;
const feed = { input: new ort.Tensor("float32", xNchw, [batch, 3, size, size]) };

async function tfjsOnce(): Promise<Float32Array> {
  const y = prefix.predict(x) as tf.Tensor;
  const d = (await y.data()) as Float32Array;
  y.dispose();
  return d;
}
const ortOnce = async () => (await session.run(feed)).logits!.data as Float32Array;

// Warm-up (kernel compilation, thread pools) and an agreement check.
const [a, b] = [await tfjsOnce(), await ortOnce()];
let maxDiff = 0;
let scale = 0;
a.forEach((v, i) => ((maxDiff = Math.max(maxDiff, Math.abs(v - b[i]!))), (scale = Math.max(scale, Math.abs(v)))));

const time = { tfjs: 0, ort: 0 };
for (let r = 0; r < rounds; r++) {
  let t = performance.now();
  await tfjsOnce();
  time.tfjs += performance.now() - t;
  t = performance.now();
  await ortOnce();
  time.ort += performance.now() - t;
}
const ips = (ms: number) => (rounds * batch * 1000) / ms;
console.log(
  `resnet50 prefix ${size}px batch ${batch} x ${rounds} rounds, ${threads} threads (tfjs ${backend.name} threads=${backend.threads}):`,
);
console.log(`  tfjs-wasm        ${ips(time.tfjs).toFixed(2)} images/s`);
console.log(`  onnxruntime-cpu  ${ips(time.ort).toFixed(2)} images/s`);
console.log(
  `  ORT / tfjs-wasm  ${(time.tfjs / time.ort).toFixed(2)}x   (outputs agree to ${(maxDiff / scale).toExponential(1)} relative)`,
);
await session.release();

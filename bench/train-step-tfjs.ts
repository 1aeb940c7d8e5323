/** The tfjs side of bench/train-step.ts: one model, size and backend, timed in this process. */
import * as tf from "../runner/src/tf";
import { buildModel, applyTraining } from "../runner/src/model";
import { prepareWasmBackend } from "../runner/src/backend/wasm";
import { prepareWebgpuBackend } from "../runner/src/backend/webgpu";
import { KernelScope } from "../runner/src/backend/wasm/scope";

/** One measurement, as the child process prints it. */
export interface StepResult {
  images_per_s: number;
  /** Images per CPU-second of this process (all threads): steadier than wall time on a shared machine. */
  images_per_cpu_s: number;
  step_ms: number;
  peak_rss_mb: number;
  wasm_heap_mb?: number;
  threads: number;
  /** webgpu: the adapter. A software adapter (lavapipe) is a CPU, and is labelled so. */
  device?: string;
}

/** What to time: a training step (forward + backward + SGD update) or inference (forward only). */
export type Mode = "train" | "infer";

/** One measurement's settings. */
export interface MeasureOptions {
  model: string;
  size: number;
  backend: string;
  batch: number;
  steps: number;
  threads: number;
  mode: Mode;
  profile: boolean;
  /** Channel-width multiplier (1 = the standard ResNet; the GPU kit's CI case uses a tiny one). @default 1 */
  width?: number;
}

/** Times `steps` steps after one warm-up step; with `profile`, prints where one step's time goes. */
export async function measureTfjs(m: MeasureOptions): Promise<StepResult> {
  let used = 1;
  let device: string | undefined;
  if (m.backend === "wasm") used = (await prepareWasmBackend({ threads: m.threads })).threads;
  else if (m.backend === "webgpu") {
    const info = await prepareWebgpuBackend({ allowFallback: true });
    device = `${info.description}${info.isFallbackAdapter ? " [software adapter: a CPU, not a GPU figure]" : ""}`;
  } else if (!(await tf.setBackend(m.backend))) throw new Error(`backend ${m.backend} did not start`);
  const built = await buildModel(
    {
      backbone: m.model as Parameters<typeof buildModel>[0]["backbone"],
      pretrained: "none",
      width: m.width ?? 1,
      head: { dropout: 0, hidden: 0 },
      groups: { body: ["stem", "conv2", "conv3", "conv4", "conv5"], head: ["head"] },
    },
    10,
  );
  const opt = tf.train.sgd(0.01);
  const x = tf.randomUniform([m.batch, m.size, m.size, 3]) as tf.Tensor4D;
  const y = tf.oneHot(tf.randomUniform([m.batch], 0, 10, "int32") as tf.Tensor1D, 10);
  const train = () =>
    tf.tidy(() => {
      const loss = () => tf.losses.softmaxCrossEntropy(y, applyTraining(built, x)) as tf.Scalar;
      const { value, grads } = tf.variableGrads(loss);
      opt.applyGradients(grads);
      return value;
    });
  const infer = () => tf.tidy(() => tf.sum(built.model.predict(x) as tf.Tensor) as tf.Scalar);
  const step = m.mode === "train" ? train : infer;
  // Reads are awaited: webgpu cannot read synchronously in Node.
  const run = async () => {
    const value = step();
    await value.data();
    value.dispose();
  };
  await run();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < m.steps; i++) await run();
  const ms = (performance.now() - t0) / m.steps;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / m.steps;
  if (m.profile) await printProfile(step);
  const wasm = m.backend === "wasm" ? (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm : undefined;
  return {
    images_per_s: (1000 * m.batch) / ms,
    images_per_cpu_s: (1000 * m.batch) / cpuMs,
    step_ms: ms,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    ...(wasm === undefined ? {} : { wasm_heap_mb: wasm.HEAPU8.length / 2 ** 20 }),
    threads: used,
    ...(device === undefined ? {} : { device }),
  };
}

/** tf.profile per kernel, plus the kernels our composite wasm kernels run inside themselves. */
async function printProfile(step: () => tf.Scalar): Promise<void> {
  const inner = new Map<string, number>();
  KernelScope.onKernel = (name, ms) => inner.set(name, (inner.get(name) ?? 0) + ms);
  const info = await tf.profile(() => step());
  KernelScope.onKernel = undefined;
  const byKernel = new Map<string, number>();
  for (const k of info.kernels) {
    if (k.name.endsWith("__op")) continue; // op wrappers double-count their kernels
    byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
  }
  const total = [...byKernel.values()].reduce((a, b) => a + b, 0);
  console.log(`kernel time ${total.toFixed(0)} ms in one step:`);
  for (const [name, ms] of [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    console.log(`  ${name.padEnd(22)} ${ms.toFixed(1).padStart(8)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%`);
  }
  const sub = [...inner].sort((a, b) => b[1] - a[1]).map(([n, ms]) => `${n} ${ms.toFixed(0)}`);
  if (sub.length > 0) console.log(`  inside the composite kernels (convs, their gradients; ms): ${sub.join(", ")}`);
}

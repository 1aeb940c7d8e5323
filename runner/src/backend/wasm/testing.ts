import * as tf from "@tensorflow/tfjs-core";
import { KernelScope } from "./scope";

/** Largest absolute and relative (to the largest |cpu| value) differences between two runs. */
export interface Diff {
  abs: number;
  rel: number;
}

/**
 * Test helper: runs `fn` on seeded random inputs of `shapes` on `cpu` and on `wasm`, prints the
 * largest absolute and relative difference of each output, and checks that `fn` leaked no tensor
 * and no backend data buffer on either backend. Returns the worst difference over all outputs.
 */
export function compareOnBackends(label: string, shapes: number[][], fn: (xs: tf.Tensor[]) => tf.Tensor[]): Diff {
  const inputs = shapes.map((s, i) => Array.from(tf.randomUniform(s, -1, 1, "float32", 7 + i).dataSync()));
  const run = (backend: string): Float32Array[] => {
    tf.setBackend(backend);
    const xs = inputs.map((v, i) => tf.tensor(v, shapes[i]));
    const before = { numTensors: tf.memory().numTensors, numDataBuffers: tf.backend().numDataIds() };
    const outs = fn(xs);
    const values = outs.map((o) => o.dataSync() as Float32Array);
    tf.dispose(outs);
    const after = { numTensors: tf.memory().numTensors, numDataBuffers: tf.backend().numDataIds() };
    tf.dispose(xs);
    // The backend's own count of buffers also sees those no tensor owns: what a composite kernel leaks.
    const leaked = after.numTensors - before.numTensors;
    const buffers = after.numDataBuffers - before.numDataBuffers;
    if (leaked !== 0 || buffers !== 0) {
      throw new Error(`${label}: ${leaked} tensor(s) and ${buffers} data buffer(s) leaked on ${backend}`);
    }
    return values;
  };
  const want = run("cpu");
  const got = run("wasm");
  let abs = 0;
  let scale = 0;
  want.forEach((w, k) => {
    const g = got[k]!;
    if (g.length !== w.length) throw new Error(`${label}: output ${k} has ${g.length} values, cpu has ${w.length}`);
    for (let i = 0; i < w.length; i++) {
      abs = Math.max(abs, Math.abs(w[i]! - g[i]!));
      scale = Math.max(scale, Math.abs(w[i]!));
    }
  });
  const rel = abs / Math.max(scale, 1e-12);
  console.log(`${label}: max abs ${abs.toExponential(2)}, rel ${rel.toExponential(2)}`);
  return { abs, rel };
}

/**
 * sum(y * sin(0, 1, 2, ...)): a loss whose gradient dy is non-uniform, so that every tap and every
 * position of a gradient is checked (a plain sum would give dy = 1 everywhere).
 */
export function weightedSum(y: tf.Tensor): tf.Scalar {
  return tf.sum(tf.mul(y, tf.sin(tf.reshape(tf.range(0, y.size), y.shape))));
}

/** A convolution test case: NHWC input and HWIO filter shapes, stride, padding (and dilation). */
export interface ConvCase {
  x: [number, number, number, number];
  f: [number, number, number, number];
  stride: number | [number, number];
  pad: "same" | "valid" | [[0, 0], [number, number], [number, number], [0, 0]];
  dilation?: number;
}

/** The label a conv case prints its differences under. */
export const convCaseLabel = (c: ConvCase) =>
  `x${c.x.join("x")} f${c.f.join("x")} s${String(c.stride)} ${JSON.stringify(c.pad)}`;

/** The kernels run inside Tessera's composite wasm kernels while `fn` runs on wasm (in a tidy). */
export function innerKernels(fn: () => unknown): string[] {
  tf.setBackend("wasm");
  const names: string[] = [];
  KernelScope.onKernel = (name) => names.push(name);
  try {
    tf.tidy(() => {
      fn();
    });
  } finally {
    KernelScope.onKernel = undefined;
  }
  return names;
}

/**
 * Child-process probe for threads.test.ts: starts wasm with 2 threads, runs a convolution, batch
 * norm and ReLU and their gradients on wasm and on cpu (the larger conv splits its GEMM over the
 * fused module's helper thread), prints one JSON line and returns without any explicit teardown,
 * so the test also checks that the process exits by itself.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-layers";
import { prepareWasmBackend } from "./index";

const { threads, fused, gemmThreads } = await prepareWasmBackend({ threads: 2 });
const run = (backend: string): Float32Array[] => {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.reshape(tf.sin(tf.range(0, 2 * 16 * 16 * 32)), [2, 16, 16, 32]) as tf.Tensor4D;
    const w = tf.reshape(tf.cos(tf.range(0, 3 * 3 * 32 * 16)), [3, 3, 32, 16]) as tf.Tensor4D;
    // Conv, then training-mode batch norm and ReLU: their gradients run native/fused-shared.wasm's
    // kernels on the shared heap.
    const f = (a: tf.Tensor, b: tf.Tensor) => {
      const y = tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, "same");
      const { mean, variance } = tf.moments(y, [0, 1, 2]);
      return tf.sum(
        tf.square(tf.sub(tf.relu(tf.batchNorm(y, mean, variance, tf.zeros([16]), tf.ones([16]), 1e-3)), 0.5)),
      );
    };
    const [dx, dw] = tf.grads(f)([x, w]);
    // The stride-1 conv is a GEMM of 512 x 288 x 16 multiply-adds: split over the GEMM's threads.
    return [tf.conv2d(x, w, 1, "same"), dx!, dw!].map((t) => t.dataSync() as Float32Array);
  });
};
const want = run("cpu");
const got = run("wasm");
let rel = 0;
want.forEach((w, k) => {
  const scale = w.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-12);
  w.forEach((v, i) => (rel = Math.max(rel, Math.abs(v - got[k]![i]!) / scale)));
});
console.log(
  JSON.stringify({
    threads,
    gemmThreads,
    fused: fused === true ? true : fused.error,
    rel,
    sharedMemory:
      (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer instanceof SharedArrayBuffer,
  }),
);

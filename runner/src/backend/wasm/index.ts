/**
 * Makes the TensorFlow.js `wasm` backend able to train convolutional networks in Node, and fast:
 * it registers the gradient kernels tfjs-backend-wasm 4.22 lacks (or implements as slow scalar
 * loops) on top of the backend's own XNNPACK kernels, then selects the backend.
 *
 * Self-contained on purpose (no Tessera imports) so it can be upstreamed; see README.md.
 */
import * as tf from "@tensorflow/tfjs-core";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import path from "node:path";
import { registerWasmGradKernels } from "./register";

/** Options for {@link prepareWasmBackend}. */
export interface PrepareWasmOptions {
  /**
   * Worker threads for XNNPACK. 1 = single-threaded SIMD build (always works, exits cleanly).
   * @default 1
   */
  threads?: number;
}

/** Folder of the installed tfjs-backend-wasm `dist/`, which holds the `.wasm` binaries. */
export function wasmDistDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
}

let pathsSet = false;

/**
 * Registers the wasm gradient kernels and makes `wasm` the active tfjs backend.
 * Safe to call more than once.
 * @returns the number of threads the backend actually runs with
 */
export async function prepareWasmBackend(opts: PrepareWasmOptions = {}): Promise<{ threads: number }> {
  const threads = opts.threads ?? 1;
  if (!pathsSet) {
    setWasmPaths(wasmDistDir() + path.sep);
    pathsSet = true;
  }
  registerWasmGradKernels();
  const ok = await tf.setBackend("wasm");
  if (!ok) throw new Error("tfjs wasm backend failed to initialise (see the warning above)");
  await tf.ready();
  return { threads };
}

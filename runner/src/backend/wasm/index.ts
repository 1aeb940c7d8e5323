/**
 * Makes the TensorFlow.js `wasm` backend able to train convolutional networks in Node, and fast:
 * it registers the gradient kernels tfjs-backend-wasm 4.22 lacks (or implements as slow scalar
 * loops) on top of the backend's own XNNPACK kernels, then selects the backend.
 *
 * Self-contained on purpose (no Tessera imports) so it can be upstreamed; see README.md.
 */
import * as tf from "@tensorflow/tfjs-core";
import { getThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import path from "node:path";
import { registerWasmGradKernels } from "./register";
import { backendMemory, compiledModule, fusedWasmPath, loadFused } from "./native";
import { startGemmThreads, type GemmThreads } from "./gemm_threads";
import { registerFusedKernels, unregisterFusedKernels } from "./fused_kernels";
import { enableNodeThreads, withCoreCount } from "./threads";

/** Options for {@link prepareWasmBackend}. */
export interface PrepareWasmOptions {
  /**
   * Threads for XNNPACK. 1 runs the single-threaded SIMD build; more runs the threaded build on a
   * pool of Node worker threads (see threads.ts). Fixed for the life of the process: the wasm
   * module starts once.
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
let gemmThreads: GemmThreads | null | undefined;
let warned = false;

/**
 * Registers the wasm gradient kernels and makes `wasm` the active tfjs backend.
 * Safe to call more than once.
 * Then loads native/fused.wasm on the backend's heap and registers its kernels; when it cannot
 * (see {@link loadFused}) the gradients keep tfjs's composite path and `fused` says why.
 * @returns the number of threads the backend actually runs with, the fused module's state, and the
 *   threads its GEMM is split over (gemm_threads.ts)
 */
export async function prepareWasmBackend(
  opts: PrepareWasmOptions = {},
): Promise<{ threads: number; fused: true | { error: string }; gemmThreads: number }> {
  const threads = opts.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1)
    throw new Error(`threads: expected an integer >= 1, received ${threads}`);
  if (!pathsSet) {
    const dist = wasmDistDir();
    setWasmPaths(dist + path.sep);
    if (threads > 1) enableNodeThreads(threads, dist);
    pathsSet = true;
  }
  registerWasmGradKernels();
  const ok = await withCoreCount(threads, () => tf.setBackend("wasm"));
  if (!ok) throw new Error("tfjs wasm backend failed to initialise (see the warning above)");
  await tf.ready();
  const fused = loadFused(tf.backend());
  if ("error" in fused) {
    unregisterFusedKernels();
    if (!warned && process.env.TESSERA_WASM_FUSED !== "0")
      console.warn(`wasm: fused kernels not loaded, using the composite ones (${fused.error})`);
    warned = true;
    return { threads: getThreadsCount(), fused, gemmThreads: 1 };
  }
  // The threaded build: the fused GEMM gets helper threads of its own (gemm_threads.ts), once.
  const n = getThreadsCount();
  if (n > 1 && gemmThreads === undefined) {
    gemmThreads = startGemmThreads(compiledModule(fusedWasmPath(true)), backendMemory(tf.backend())!, n - 1);
    if (gemmThreads === null)
      console.warn("wasm: the fused GEMM's helper threads did not start; it runs on one thread");
  }
  registerFusedKernels(fused, gemmThreads ?? null);
  return { threads: n, fused: true, gemmThreads: gemmThreads?.threads ?? 1 };
}

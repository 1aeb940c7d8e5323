import { getKernel, registerKernel, unregisterKernel } from "@tensorflow/tfjs-core";
import type { KernelConfig } from "@tensorflow/tfjs-core";
import { conv2dBackpropFilterConfig } from "./conv2d_backprop_filter";
import { conv2dBackpropInputConfig } from "./conv2d_backprop_input";
import { maxPoolGradConfig } from "./max_pool_grad";
import { registerBatchNormGrad } from "./batch_norm_grad";
import { leadingReduceConfigs } from "./reduce_leading";
import { sharedIdentity, sharedSameTypeCast } from "./identity";
import { registerFusedGradients } from "./fused_grads";

/** Every kernel this module adds to (or replaces in) the wasm backend. */
export const wasmGradKernels: readonly KernelConfig[] = [
  conv2dBackpropFilterConfig,
  conv2dBackpropInputConfig,
  maxPoolGradConfig,
];

/**
 * Registers {@link wasmGradKernels} for `wasm`, replacing the backend's own version where it has
 * one, Sum/Mean over leading axes as a GEMV (reduce_leading.ts), an Identity and a same-dtype Cast that
 * share their input (identity.ts), and the Tile-free FusedBatchNorm gradient (see batch_norm_grad.ts). Idempotent. Call before the first kernel runs (prepareWasmBackend does).
 */
export function registerWasmGradKernels(): void {
  for (const config of wasmGradKernels) {
    const current = getKernel(config.kernelName, "wasm");
    if (current === config) continue;
    if (current !== undefined) unregisterKernel(config.kernelName, "wasm");
    registerKernel(config);
  }
  if (!reducersInstalled) {
    // These wrap the backend's own Sum/Mean/Identity/Cast, so they are built from (and replace) them once.
    const shared = [sharedIdentity(getKernel("Identity", "wasm")!), sharedSameTypeCast(getKernel("Cast", "wasm")!)];
    for (const config of [...leadingReduceConfigs(), ...shared]) {
      unregisterKernel(config.kernelName, "wasm");
      registerKernel(config);
    }
    reducersInstalled = true;
  }
  registerBatchNormGrad();
  // ReLU and Mean gradients that use native/fused.wasm's kernels where registered (index.ts).
  registerFusedGradients();
}

let reducersInstalled = false;

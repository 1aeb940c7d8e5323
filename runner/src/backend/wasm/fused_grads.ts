import {
  engine,
  getBackend,
  getGradient,
  getKernel,
  Mean,
  registerGradient,
  Relu,
  reshape,
  div,
} from "@tensorflow/tfjs-core";
import type { GradConfig, Tensor } from "@tensorflow/tfjs-core";
import { FusedKernel } from "./fused_kernels";
import { leadingAxisCount } from "./reduce_leading";

/**
 * True where the active backend has `kernel` (wasm, with native/fused.wasm loaded). Gradients are
 * global, so every override below asks this and otherwise runs tfjs-core's own gradient.
 */
export function hasFusedKernel(kernel: string): boolean {
  return getKernel(kernel, getBackend()) !== undefined;
}

const originals = new Map<string, GradConfig>();

/** tfjs-core's ReLU gradient, mul(dy, cast(step(x))), as one pass (relu_grad in fused.c). */
const reluGradConfig: GradConfig = {
  kernelName: Relu,
  inputsToSave: ["x"],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [Tensor];
    const g = dy as Tensor;
    if (g.dtype !== "float32" || x.dtype !== "float32" || !hasFusedKernel(FusedKernel.reluGrad))
      return originals.get(Relu)!.gradFunc(dy, saved, attrs);
    return { x: () => engine().runKernel(FusedKernel.reluGrad, { dy: g, x }) as Tensor };
  },
};

/**
 * Mean's gradient over leading axes (batch norm's moments over N,H,W): dy / count spread over the
 * reduced rows in one pass (broadcast_rows). tfjs-core's fills a full-size tensor of ones, then
 * multiplies and divides it: three full-size passes, twice per batch norm.
 */
const meanGradConfig: GradConfig = {
  kernelName: Mean,
  inputsToSave: ["x"],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [Tensor];
    const g = dy as Tensor;
    const axes = leadingAxisCount(attrs.axis as number | number[], x.shape);
    if (axes === 0 || x.dtype !== "float32" || g.dtype !== "float32" || !hasFusedKernel(FusedKernel.broadcastRows))
      return originals.get(Mean)!.gradFunc(dy, saved, attrs);
    const count = x.shape.slice(0, axes).reduce((a, b) => a * b, 1);
    const c = x.size / count;
    return {
      x: () =>
        engine().runKernel(FusedKernel.broadcastRows, { v: div(reshape(g, [c]), count) }, { shape: x.shape }) as Tensor,
    };
  },
};

/**
 * Installs the ReLU and Mean gradients above, keeping tfjs-core's for other backends and shapes.
 * Idempotent; needs tfjs-core's gradients registered first (tfjs-layers or the tfjs umbrella).
 */
export function registerFusedGradients(): void {
  for (const config of [reluGradConfig, meanGradConfig]) {
    const current = getGradient(config.kernelName);
    if (current === config) continue;
    if (current === undefined) continue; // no gradient to fall back to: leave it unregistered
    originals.set(config.kernelName, current);
    registerGradient(config);
  }
}

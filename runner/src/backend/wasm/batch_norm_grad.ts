import {
  add,
  engine,
  FusedBatchNorm,
  getGradient,
  mul,
  neg,
  registerGradient,
  rsqrt,
  sub,
  sum,
  tidy,
} from "@tensorflow/tfjs-core";
import type { GradConfig, NamedAttrMap, Tensor } from "@tensorflow/tfjs-core";
import { FusedKernel } from "./fused_kernels";
import { hasFusedKernel } from "./fused_grads";

let original: GradConfig | undefined;

/**
 * FusedBatchNorm's gradient with per-channel statistics, without Tile. tfjs-core's version tiles
 * 1/sqrt(var+eps) to the full [N,H,W,C] shape before multiplying (12% of a ResNet training step on
 * wasm, whose Tile is a scalar loop) and multiplies full-size tensors where a [C] vector suffices.
 * Same formulas, broadcasting a [C] factor instead: dx = dy*g, dmean = -sum(dy)*g,
 * dvar = -g/(2(var+eps)) * sum(dy*(x-mean)), dscale = sum(dy*(x-mean))/sqrt(var+eps),
 * doffset = sum(dy), with g = scale/sqrt(var+eps). Other shapes use tfjs-core's gradient.
 * Where native/fused.wasm is loaded (wasm), both sums come from one read of dy and x
 * (channel_sums) and dx from one pass (scale_channels), instead of Sub, Mul, two reductions and a
 * broadcasting Mul.
 */
export const fusedBatchNormGradConfig: GradConfig = {
  kernelName: FusedBatchNorm,
  inputsToSave: ["x", "mean", "variance", "scale"],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [x, mean, variance, scale] = saved as [Tensor, Tensor, Tensor, Tensor | undefined];
    const grad = dy as Tensor;
    if (mean.rank !== 1 || variance.rank !== 1 || (scale != null && scale.rank !== 1)) {
      if (original === undefined) throw new Error("FusedBatchNorm gradient: only per-channel (rank 1) statistics");
      return original.gradFunc(dy, saved, attrs);
    }
    const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
    const rs = rsqrt(add(variance, attrs.varianceEpsilon as number));
    const g = scale == null ? rs : mul(rs, scale);
    const last = x.shape[x.rank - 1];
    const fused =
      x.dtype === "float32" &&
      grad.dtype === "float32" &&
      mean.size === last &&
      hasFusedKernel(FusedKernel.channelSums);
    if (fused) {
      const [sumDy, dyXc] = engine().runKernel(FusedKernel.channelSums, { dy: grad, x, mean }) as [Tensor, Tensor];
      return {
        x: () => engine().runKernel(FusedKernel.scaleChannels, { x: grad, scale: g }) as Tensor,
        mean: () => neg(mul(sumDy, g)),
        variance: () => mul(dyXc, mul(mul(g, mul(rs, rs)), -0.5)),
        scale: () => mul(dyXc, rs),
        offset: () => sumDy.clone(),
      };
    }
    // sum(dy*(x-mean)) over N,H,W, shared by dvar and dscale; its full-size temporaries die here.
    const dyXc = tidy(() => sum(mul(grad, sub(x, mean)), axes));
    return {
      x: () => mul(grad, g),
      mean: () => neg(mul(sum(grad, axes), g)),
      variance: () => mul(dyXc, mul(mul(g, mul(rs, rs)), -0.5)),
      scale: () => mul(dyXc, rs),
      offset: () => sum(grad, axes),
    };
  },
};

/**
 * Installs {@link fusedBatchNormGradConfig} (gradients are per kernel, not per backend, so this
 * applies to every backend; results equal tfjs-core's up to float rounding). Idempotent.
 */
export function registerBatchNormGrad(): void {
  const current = getGradient(FusedBatchNorm);
  if (current === fusedBatchNormGradConfig) return;
  // Without tfjs-core's gradient (tfjs-layers and the tfjs umbrella register it on import) only
  // the per-channel case, the one batch norm layers use, has a gradient.
  original = current;
  registerGradient(fusedBatchNormGradConfig);
}

/** Puts tfjs-core's own FusedBatchNorm gradient back (for comparisons). */
export function unregisterBatchNormGrad(): void {
  if (original !== undefined) registerGradient(original);
}

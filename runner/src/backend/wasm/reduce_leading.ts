import { backend_util, getKernel, Mean, Sum, util } from "@tensorflow/tfjs-core";
import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import { withScope } from "./scope";

function avgAttrs(filterSize: [number, number]) {
  return { filterSize, strides: 1, pad: "valid" };
}

/** k when `axis` is exactly the leading axes 0..k-1 of `shape` (0 < k < rank), else 0. */
export function leadingAxisCount(axis: number | number[], shape: number[]): number {
  const axes = util.parseAxisParam(axis, shape);
  const k = axes.length;
  return k > 0 && k < shape.length && axes.every((a) => a < k) && new Set(axes).size === k ? k : 0;
}

/**
 * Sum and Mean over the leading axes (batch norm's and its gradient's reductions over N,H,W of an
 * NHWC tensor) as one XNNPACK average pooling over all rows (times P for Sum). A GEMV with ones was
 * tried first: fine alone, ~50x slower inside a training step (it re-packs the whole tensor). wasm's own kernels first transpose the
 * reduced axes innermost with a scalar-loop Transpose, a full extra copy at ~5x the cost of the sum.
 * Any other reduction goes to the backend's kernel.
 */
function leadingReduce(name: string, original: KernelConfig): KernelConfig {
  const fallback = original.kernelFunc;
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x!;
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const k = leadingAxisCount(axis, x.shape);
    if (k === 0 || x.dtype !== "float32") return fallback(args);
    const axes = util.parseAxisParam(axis, x.shape);
    const p = x.shape.slice(0, k).reduce((a, b) => a * b, 1);
    const rest = x.shape.slice(k);
    const r = rest.reduce((a, b) => a * b, 1);
    if (p === 0 || r === 0) return fallback(args);
    const outShape = keepDims ? backend_util.expandShapeToKeepDim(rest, axes) : rest;
    return withScope(args.backend as KernelBackend, (s): TensorInfo => {
      // One pooling window over all P rows, folded near-square (XNNPACK's multipass average pool).
      let a = 1;
      for (let d = 1; d * d <= p; d++) if (p % d === 0) a = d;
      const pooled = s.run("AvgPool", { x: s.reshape(x, [1, a, p / a, r]) }, avgAttrs([a, p / a]));
      const out = name === Mean ? pooled : s.run("Multiply", { a: pooled, b: s.constant(new Float32Array([p]), []) });
      return s.reshape(out, outShape);
    });
  };
  // The wrapped kernel binds its wasm function in setupFunc, which the backend calls at start-up.
  return { ...original, kernelFunc };
}

/** The GEMV-based Sum and Mean, wrapping the wasm backend's current kernels for other cases. */
export function leadingReduceConfigs(): KernelConfig[] {
  return [Sum, Mean].map((name) => {
    const current = getKernel(name, "wasm");
    if (current === undefined) throw new Error(`wasm backend has no ${name} kernel to wrap`);
    return leadingReduce(name, current);
  });
}

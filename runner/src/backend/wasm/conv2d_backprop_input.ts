import { backend_util, Conv2DBackpropInput } from "@tensorflow/tfjs-core";
import type {
  Conv2DBackpropInputAttrs,
  KernelBackend,
  KernelConfig,
  KernelFunc,
  NamedTensorInfoMap,
  TensorInfo,
} from "@tensorflow/tfjs-core";
import { withScope } from "./scope";
import type { KernelScope } from "./scope";

/**
 * dx[n,ih,iw,ci] = sum over kh,kw,co of dy[n,oh,ow,co] * w[kh,kw,ci,co] where ih = oh*s+kh-pt.
 *
 * Stride 1: a Conv2D (XNNPACK) of dy with the spatially flipped, in/out-swapped filter.
 * Stride s > 1 ("sub-pixel" decomposition): the rows with (ih+pt) mod s = r only see the taps
 * kh = r, r+s, r+2s, ..., so each of the s*s phases is a stride-1 Conv2D of dy with a sub-filter;
 * DepthToSpace interleaves the phases. Unlike convolving a zero-inserted dy, no multiply is wasted
 * on inserted zeros (a 3x3 stride-2 layer does 4x less work).
 */
export function conv2dBackpropInput(
  s: KernelScope,
  dy: TensorInfo,
  filter: TensorInfo,
  attrs: Conv2DBackpropInputAttrs,
): TensorInfo {
  const { strides, pad, dimRoundingMode, inputShape } = attrs;
  if (attrs.dataFormat === "NCHW") throw new Error("wasm Conv2DBackpropInput supports only dataFormat NHWC");
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize: n, inChannels: cin, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  // [fh,fw,Cin,Cout] -> [fh,fw,Cout,Cin], flipped in space: the filter of the transposed conv.
  const wt = s.run("Reverse", { x: s.transpose(filter, [0, 1, 3, 2]) }, { dims: [0, 1] });

  if (sh === 1 && sw === 1) {
    return phaseConv(s, dy, wt, [fh - 1 - top, h - oh + top], [fw - 1 - left, w - ow + left]);
  }
  if (sh !== sw) throw new Error(`wasm Conv2DBackpropInput: unequal strides ${sh}x${sw} are not supported`);
  const st = sh;
  const qh = Math.ceil((top + h) / st);
  const qw = Math.ceil((left + w) / st);
  const phases: TensorInfo[] = [];
  for (let rh = 0; rh < st; rh++) {
    for (let rw = 0; rw < st; rw++) {
      const jh = taps(fh, rh, st);
      const jw = taps(fw, rw, st);
      if (jh === 0 || jw === 0) {
        phases.push(s.run("Fill", {}, { shape: [n, qh, qw, cin], value: 0, dtype: "float32" }));
        continue;
      }
      // Taps r, r+s, ... of the original filter are, in the flipped one, fh-1-r, fh-1-r-s, ...:
      // an ascending strided slice starting at (fh-1-r) mod s, already in flipped order.
      const bh = (fh - 1 - rh) % st;
      const bw = (fw - 1 - rw) % st;
      const sub = s.run(
        "StridedSlice",
        { x: wt },
        strided(
          [bh, bw, 0, 0],
          [bh + (jh - 1) * st + 1, bw + (jw - 1) * st + 1, filter.shape[3]!, cin],
          [st, st, 1, 1],
        ),
      );
      phases.push(phaseConv(s, dy, sub, [jh - 1, qh - oh], [jw - 1, qw - ow]));
    }
  }
  // The Concat kernel takes its inputs as an array (as tfjs-core's concat op passes them).
  const stacked = s.run("Concat", phases as unknown as NamedTensorInfoMap, { axis: 3 });
  const full = s.run("DepthToSpace", { x: stacked }, { blockSize: st, dataFormat: "NHWC" });
  return s.slice(full, [0, top, left, 0], [n, h, w, cin]);
}

/** Stride-1 Conv2D of dy with `wf`, padding (or cropping, when negative) rows/cols by [before, after]. */
function phaseConv(
  s: KernelScope,
  dy: TensorInfo,
  wf: TensorInfo,
  ph: [number, number],
  pw: [number, number],
): TensorInfo {
  const crop = s.padOrCrop(dy, [
    [0, 0],
    [Math.min(0, ph[0]), Math.min(0, ph[1])],
    [Math.min(0, pw[0]), Math.min(0, pw[1])],
    [0, 0],
  ]);
  const explicit = [
    [0, 0],
    [Math.max(0, ph[0]), Math.max(0, ph[1])],
    [Math.max(0, pw[0]), Math.max(0, pw[1])],
    [0, 0],
  ];
  return s.run("Conv2D", { x: crop, filter: wf }, { strides: 1, pad: explicit, dilations: 1, dataFormat: "NHWC" });
}

/** Number of filter taps k in [0, f) with k mod s = r. */
function taps(f: number, r: number, s: number): number {
  return r < f ? Math.ceil((f - r) / s) : 0;
}

function strided(begin: number[], end: number[], strides: number[]) {
  return { begin, end, strides, beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 };
}

const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) =>
  withScope(backend as KernelBackend, (s) =>
    conv2dBackpropInput(s, inputs.dy!, inputs.filter!, attrs as unknown as Conv2DBackpropInputAttrs),
  );

/** Replaces wasm's Conv2DBackpropInput (a scalar C++ loop) with XNNPACK convolutions. */
export const conv2dBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: "wasm",
  kernelFunc,
};

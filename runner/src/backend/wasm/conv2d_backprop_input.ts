import { backend_util, Conv2DBackpropInput, getKernel } from "@tensorflow/tfjs-core";
import type {
  Conv2DBackpropInputAttrs,
  KernelBackend,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from "@tensorflow/tfjs-core";
import { withScope } from "./scope";
import type { KernelScope } from "./scope";
import { FusedKernel } from "./fused_names";
import { MAX_IM2COL } from "./conv_gemm";

/**
 * dx[n,ih,iw,ci] = sum over kh,kw,co of dy[n,oh,ow,co] * w[kh,kw,ci,co] where ih = oh*s+kh-pt.
 *
 * With the fused module: one GEMM and col2im (below), for every stride. Without it, XNNPACK:
 *
 * Stride 1: a Conv2D (XNNPACK) of dy with the spatially flipped, in/out-swapped filter.
 * Stride s > 1 ("sub-pixel" decomposition): the rows with (ih+pt) mod s = r only see the taps
 * kh = r, r+s, r+2s, ..., so each of the s*s phases is a stride-1 Conv2D of dy with a sub-filter;
 * one Conv2D computes all phases (stacked along its output channels) and a transpose interleaves
 * them. Convolving a zero-inserted dy instead would spend s*s times the multiplies (3/4 of them on
 * inserted zeros at stride 2); this spends (ceil(f/s)*s/f)^2 (16/9 for 3x3 stride 2).
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
  const cout = filter.shape[3]!;

  const cols = n * oh * ow * fh * fw * cin;
  if (getKernel(FusedKernel.col2im, "wasm") !== undefined && dy.dtype === "float32" && cols <= MAX_IM2COL) {
    // With the fused module: every dy pixel's contribution to the fh*fw input pixels its window
    // covers is one GEMM, dy [n*oh*ow, Cout] x Wᵀ [Cout, fh*fw*Cin], and col2im adds each column
    // block onto its pixel. Any stride, exactly the forward pass's multiplies, and no flipped filter.
    const wT = s.transpose(s.reshape(filter, [fh * fw * cin, cout]), [1, 0]);
    const perPixel = s.matMul(s.reshape(dy, [n * oh * ow, cout]), wT);
    // A 1x1 stride-1 conv without padding: each pixel's column block is its own gradient.
    if (fh === 1 && fw === 1 && sh === 1 && sw === 1 && top === 0 && left === 0 && oh === h && ow === w)
      return s.reshape(perPixel, [n, h, w, cin]);
    const geometry = { oh, ow, fh, fw, sh, sw, dh: 1, dw: 1, top, left };
    return s.run(FusedKernel.col2im, { cols: perPixel }, { inShape: [n, h, w, cin], ...geometry });
  }

  if (sh === 1 && sw === 1) {
    // [fh,fw,Cin,Cout] -> [fh,fw,Cout,Cin], flipped in space: the filter of the transposed conv.
    // Flipping both spatial axes is reversing the combined tap axis fh*fw.
    const swapped = s.reshape(s.transpose(filter, [0, 1, 3, 2]), [fh * fw, cout, cin]);
    const wt = s.reshape(s.reverseFirstAxis(swapped), [fh, fw, cout, cin]);
    return conv(s, dy, wt, [fh - 1 - top, h - oh + top], [fw - 1 - left, w - ow + left]);
  }
  if (fh === 1 && fw === 1) {
    // Each dy pixel lands on one x pixel: a 1x1 conv, then spread over the stride grid by padding.
    const small = conv(s, dy, s.transpose(filter, [0, 1, 3, 2]), [0, 0], [0, 0]);
    const grid = s.padOrCrop(s.reshape(small, [n, oh, 1, ow, 1, cin]), [
      [0, 0],
      [0, 0],
      [0, sh - 1],
      [0, 0],
      [0, sw - 1],
      [0, 0],
    ]);
    return s.padOrCrop(s.reshape(grid, [n, oh * sh, ow * sw, cin]), [
      [0, 0],
      [-top, h - oh * sh + top],
      [-left, w - ow * sw + left],
      [0, 0],
    ]);
  }
  // Phase (rh, rw) of the output, rows with (ih+top) mod sh = rh, uses taps rh, rh+sh, ... of the
  // filter. All phases share one Conv2D: pad the filter to a multiple of the stride, split each
  // spatial axis into (tap J, phase s), flip the taps and stack the phases along output channels.
  const jh = Math.ceil(fh / sh);
  const jw = Math.ceil(fw / sw);
  const ext = s.padOrCrop(filter, [
    [0, jh * sh - fh],
    [0, jw * sw - fw],
    [0, 0],
    [0, 0],
  ]);
  // [jh,sh,jw,sw,Cin,Cout] -> [jh,jw,Cout,sh,sw,Cin] as three rank-4 transposes: wasm's Transpose
  // has fast paths up to rank 4 only (a rank-6 one measured ~50x slower per element).
  const io = s.transpose(ext, [0, 1, 3, 2]);
  const taps = s.transpose(s.reshape(io, [jh, sh, jw, sw * cout * cin]), [0, 2, 1, 3]);
  const split = s.transpose(s.reshape(taps, [jh * jw, sh * sw, cout, cin]), [0, 2, 1, 3]);
  const flipped = s.reverseFirstAxis(s.reshape(split, [jh * jw, cout, sh * sw * cin]));
  const phased = s.reshape(flipped, [jh, jw, cout, sh * sw * cin]);
  const qh = Math.ceil((top + h) / sh);
  const qw = Math.ceil((left + w) / sw);
  const out = conv(s, dy, phased, [jh - 1, qh - oh], [jw - 1, qw - ow]);
  const interleaved = s.transpose(s.reshape(out, [n * qh, qw, sh, sw * cin]), [0, 2, 1, 3]);
  return s.slice(s.reshape(interleaved, [n, qh * sh, qw * sw, cin]), [0, top, left, 0], [n, h, w, cin]);
}

/** Stride-1 Conv2D of dy with `wf`, padding (or cropping, when negative) rows/cols by [before, after]. */
function conv(s: KernelScope, dy: TensorInfo, wf: TensorInfo, ph: [number, number], pw: [number, number]): TensorInfo {
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

const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) =>
  withScope(backend as KernelBackend, (s) =>
    conv2dBackpropInput(s, inputs.dy!, inputs.filter!, attrs as unknown as Conv2DBackpropInputAttrs),
  );

/** Replaces wasm's Conv2DBackpropInput (a scalar C++ loop): the fused module's GEMM + col2im, or XNNPACK convolutions. */
export const conv2dBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: "wasm",
  kernelFunc,
};

import { backend_util, Conv2DBackpropFilter, getKernel } from "@tensorflow/tfjs-core";
import type {
  Conv2DBackpropFilterAttrs,
  KernelBackend,
  KernelConfig,
  KernelFunc,
  NamedTensorInfoMap,
  TensorInfo,
} from "@tensorflow/tfjs-core";
import { withScope } from "./scope";
import type { KernelScope } from "./scope";
import { FusedKernel } from "./fused_kernels";

/**
 * dW[kh,kw,ci,co] = sum over n,oh,ow of x[n, oh*s+kh-pt, ow*s+kw-pl, ci] * dy[n,oh,ow,co].
 *
 * A 1x1 filter is one matrix product over the (strided) pixels. With the fused module and 8+
 * input channels, every other filter is one product per tap. Otherwise the sum is itself a
 * convolution, run as a Conv2D: take the input channels as the batch and the batch as the
 * channels (x -> [Cin,H,W,N]), dy as the filter ([OH,OW,N,Cout]), and the forward stride as the
 * dilation; the result is [Cin,fh,fw,Cout].
 */
export function conv2dBackpropFilter(
  s: KernelScope,
  x: TensorInfo,
  dy: TensorInfo,
  attrs: Conv2DBackpropFilterAttrs,
): TensorInfo {
  const { strides, pad, dimRoundingMode, filterShape } = attrs;
  if (attrs.dataFormat === "NCHW") throw new Error("wasm Conv2DBackpropFilter supports only dataFormat NHWC");
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize: n, inChannels: cin, outChannels: cout, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  // How far the last window reaches past the input (negative: trailing rows the conv never reads).
  const bottom = (oh - 1) * sh + fh - top - info.inHeight;
  const right = (ow - 1) * sw + fw - left - info.inWidth;

  // (Padding below or right of a 1x1 filter adds zero pixels: the per-tap or Conv2D path below.)
  if (fh === 1 && fw === 1 && top === 0 && left === 0 && bottom <= 0 && right <= 0) {
    let xs = x;
    if (sh > 1 || sw > 1 || bottom < 0 || right < 0) {
      xs = s.pickPixels(x, oh, ow, sh, sw);
    }
    // xᵀ dy over the pixels (KernelScope.matMul: the fused module's GEMM reads x transposed in place).
    const k = n * oh * ow;
    const a = s.reshape(xs, [k, cin]);
    const b = s.reshape(dy, [k, cout]);
    const dw = s.matMul(a, b, true);
    return s.reshape(dw, [1, 1, cin, cout]);
  }

  if (cin >= PER_TAP_MIN_CHANNELS && getKernel(FusedKernel.im2col, "wasm") !== undefined) {
    // One GEMM per filter tap: dW[kh,kw] = (the tap's input pixels)ᵀ [cin, k] x dy [k, cout], with
    // k = n*oh*ow, on the fused module's GEMM, which reads the pixels [k, cin] transposed as they
    // are; each tap's pixels are gathered by im2col with that one 1x1 tap and freed after their GEMM.
    const k = n * oh * ow;
    const dy2 = s.reshape(dy, [k, cout]);
    const taps: TensorInfo[] = [];
    for (let kh = 0; kh < fh; kh++) {
      for (let kw = 0; kw < fw; kw++) {
        const tap = { oh, ow, fh: 1, fw: 1, sh, sw, top: top - kh, left: left - kw };
        const pixels = s.run(FusedKernel.im2col, { x }, tap);
        taps.push(s.matMul(pixels, dy2, true));
        s.release(pixels);
      }
    }
    const stacked = taps.length === 1 ? taps[0]! : s.run("Concat", taps as unknown as NamedTensorInfoMap, { axis: 0 });
    return s.reshape(stacked, [fh, fw, cin, cout]);
  }

  const xc = s.padOrCrop(x, [
    [0, 0],
    [0, Math.min(0, bottom)],
    [0, Math.min(0, right)],
    [0, 0],
  ]);
  const xt = s.transpose(xc, [3, 1, 2, 0]);
  const f = s.transpose(dy, [1, 2, 0, 3]);
  const explicit: [number, number][] = [
    [0, 0],
    [top, Math.max(0, bottom)],
    [left, Math.max(0, right)],
    [0, 0],
  ];
  const conv = s.run(
    "Conv2D",
    { x: xt, filter: f },
    { strides: 1, pad: explicit, dilations: [sh, sw], dataFormat: "NHWC" },
  );
  return s.transpose(conv, [1, 2, 0, 3]);
}

/**
 * With fewer input channels (the RGB stem) the per-tap GEMMs are too thin: the stem's filter
 * gradient took ~2.3x as long as the Conv2D path (bench/out-style microbench in bench/README.md).
 */
const PER_TAP_MIN_CHANNELS = 8;

const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) =>
  withScope(backend as KernelBackend, (s) =>
    conv2dBackpropFilter(s, inputs.x!, inputs.dy!, attrs as unknown as Conv2DBackpropFilterAttrs),
  );

/** The wasm backend's missing Conv2DBackpropFilter kernel. */
export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: "wasm",
  kernelFunc,
};

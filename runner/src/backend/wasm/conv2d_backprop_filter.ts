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
 * That sum is itself a convolution, so it runs on XNNPACK's Conv2D: take the input channels as the
 * batch and the batch as the channels (x -> [Cin,H,W,N]), dy as the filter ([OH,OW,N,Cout]), and
 * the forward stride as the dilation; the result is [Cin,fh,fw,Cout]. A 1x1 filter is a plain
 * matrix product over the (strided) pixels instead.
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

  if (fh === 1 && fw === 1 && top === 0 && left === 0) {
    let xs = x;
    if (sh > 1 || sw > 1 || bottom < 0 || right < 0) {
      xs = s.pickPixels(x, oh, ow, sh, sw);
    }
    // XNNPACK multiplies only untransposed operands (BatchMatMul with transposeA is a ~10x slower
    // loop), so one activation is transposed explicitly. The other is the GEMM's "weights", which
    // XNNPACK packs on every call (~50M values/s, slower than the GEMM itself on these shapes), so
    // that one is the smaller: measured with fresh tensors, 1.3-2x faster than packing the larger
    // from k = 2048 pixels (ResNet-50's first two stages), about even below.
    const k = n * oh * ow;
    const a = s.reshape(xs, [k, cin]);
    const b = s.reshape(dy, [k, cout]);
    let dw: TensorInfo;
    if (cin > cout) {
      dw = s.run(
        "BatchMatMul",
        { a: s.reshape(s.transpose(a, [1, 0]), [1, cin, k]), b: s.reshape(b, [1, k, cout]) },
        mm,
      );
    } else {
      const dwT = s.run(
        "BatchMatMul",
        { a: s.reshape(s.transpose(b, [1, 0]), [1, cout, k]), b: s.reshape(a, [1, k, cin]) },
        mm,
      );
      dw = s.transpose(s.reshape(dwT, [cout, cin]), [1, 0]);
    }
    return s.reshape(dw, [1, 1, cin, cout]);
  }

  if (n * oh * ow >= GEMM_PER_TAP_MIN_ROWS && cin >= 8 && getKernel(FusedKernel.shiftedPixels, "wasm") !== undefined) {
    // One GEMM per filter tap: dW[kh,kw] = (the tap's input pixels)ᵀ [cin, k] x dy [k, cout], with
    // k = n*oh*ow. dy is the GEMM's packed operand (XNNPACK packs its "weights" operand, ~50M
    // values/s, and tfjs caches that per tensor), so it is packed once for all taps; each tap's
    // pixels are gathered by the fused module, transposed (4x4 SIMD) and freed after their GEMM.
    // 1.3-1.8x the MAC rate of the Conv2D below, whose reduction per tap is only the batch.
    const k = n * oh * ow;
    const dy2 = s.reshape(dy, [1, k, cout]);
    const taps: TensorInfo[] = [];
    for (let kh = 0; kh < fh; kh++) {
      for (let kw = 0; kw < fw; kw++) {
        const attrs = { oh, ow, sh, sw, top: top - kh, left: left - kw };
        const pixels = s.run(FusedKernel.shiftedPixels, { x }, attrs);
        const flat = s.reshape(pixels, [k, cin]);
        const pixelsT = s.transpose(flat, [1, 0]);
        const a = s.reshape(pixelsT, [1, cin, k]);
        taps.push(s.run("BatchMatMul", { a, b: dy2 }, mm));
        // Reshapes share their input's buffer (one more reference): release them too to free it.
        for (const t of [a, pixelsT, flat, pixels]) s.release(t);
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

const mm = { transposeA: false, transposeB: false };

/**
 * Below this many output pixels (n*oh*ow) the per-tap GEMMs lose to the single Conv2D (measured:
 * ResNet's 4x4 stage at batch 8, k = 128, is faster as the Conv2D; k = 512 and up as GEMMs). With
 * fewer than 8 input channels (the RGB stem) the GEMMs are too thin to gain either.
 */
const GEMM_PER_TAP_MIN_ROWS = 512;

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

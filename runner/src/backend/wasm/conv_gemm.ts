import { backend_util, Conv2D, FusedConv2D } from "@tensorflow/tfjs-core";
import type {
  Conv2DAttrs,
  FusedConv2DAttrs,
  KernelBackend,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from "@tensorflow/tfjs-core";
import { withScope } from "./scope";
import type { KernelScope } from "./scope";
import { FusedKernel } from "./fused_names";

/**
 * Conv2D and FusedConv2D as im2col + the fused module's GEMM (native/fused.c), instead of
 * XNNPACK's convolution.
 *
 * XNNPACK packs a convolution's filter when it creates the operator, with a scalar loop (~60M
 * values/s here), and tfjs caches the operator per filter tensor. In training every filter is new
 * each step (the weights changed; the conv gradients build flipped and transposed filters), so
 * every call pays the packing: for ResNet's late stages (4x4 pixels, 3x3x512x512 filters) it took
 * longer than the multiplies (13 GFLOP/s against ~38 here). The GEMM copies its operand into
 * panels with SIMD loads, amortised over all output pixels, and its 4x8 micro-kernel is as fast
 * as XNNPACK's on the large layers too (bench/README.md). The conv gradients (Conv2DBackpropInput,
 * Conv2DBackpropFilter) run Conv2D inside, so they take this path as well.
 *
 * Taken for float32 NHWC convs whose receptive field has at least {@link MIN_CHANNELS} channels
 * (the RGB stem stays on XNNPACK, whose direct kernel wins there) and whose im2col matrix stays
 * under {@link MAX_IM2COL} floats; FusedConv2D with a linear or ReLU activation. Everything else,
 * and every call when the module is not loaded, runs the stock kernel.
 */
export function convAsGemm(
  s: KernelScope,
  x: TensorInfo,
  filter: TensorInfo,
  attrs: Conv2DAttrs,
  bias?: TensorInfo,
): TensorInfo | null {
  if (x.dtype !== "float32" || filter.dtype !== "float32" || attrs.dataFormat === "NCHW") return null;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize: n, inChannels: cin, outChannels: cout, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const { dilationHeight: dh, dilationWidth: dw } = info;
  if (cin < MIN_CHANNELS || n * oh * ow * fh * fw * cin > MAX_IM2COL || n * oh * ow === 0) return null;
  const { top, left } = info.padInfo;
  const direct =
    fh === 1 &&
    fw === 1 &&
    sh === 1 &&
    sw === 1 &&
    top === 0 &&
    left === 0 &&
    oh === info.inHeight &&
    ow === info.inWidth;
  // A 1x1 stride-1 conv without padding is already a matrix: x [n*h*w, cin].
  const cols = direct
    ? s.reshape(x, [n * oh * ow, cin])
    : s.run(FusedKernel.im2col, { x }, { oh, ow, fh, fw, sh, sw, dh, dw, top, left });
  const w2 = s.reshape(filter, [fh * fw * cin, cout]);
  const out = s.run(FusedKernel.gemm, bias ? { a: cols, b: w2, bias } : { a: cols, b: w2 });
  return s.reshape(out, [n, oh, ow, cout]);
}

/** The RGB stem (3 channels, K = 147) is faster on XNNPACK; from 8 channels up the GEMM wins. */
const MIN_CHANNELS = 8;
/** 32M floats (128 MB): larger im2col matrices would crowd the 4 GiB heap; those use XNNPACK. */
export const MAX_IM2COL = 32 * 2 ** 20;

/** Conv2D: the GEMM path where {@link convAsGemm} takes it, else `stock`. */
export function conv2dGemmConfig(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const out = withScope(args.backend as KernelBackend, (s) =>
      convAsGemm(s, x, filter, args.attrs as unknown as Conv2DAttrs),
    );
    return out ?? stock.kernelFunc(args);
  };
  return { ...stock, kernelName: Conv2D, backendName: "wasm", kernelFunc };
}

/** FusedConv2D (conv + bias + activation, tfjs-layers' Conv2D layer): the GEMM path for linear and ReLU. */
export function fusedConv2dGemmConfig(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const attrs = args.attrs as unknown as FusedConv2DAttrs;
    const act = attrs.activation;
    if (preluActivationWeights != null || (act !== "linear" && act !== "relu") || (bias && bias.dtype !== "float32"))
      return stock.kernelFunc(args);
    const c = filter!.shape[3]!;
    if (bias && (bias.shape.length !== 1 || bias.shape[0] !== c)) return stock.kernelFunc(args);
    const out = withScope(args.backend as KernelBackend, (s) => {
      const y = convAsGemm(s, x!, filter!, attrs, bias);
      return y && act === "relu" ? s.run("Relu", { x: y }) : y;
    });
    return out ?? stock.kernelFunc(args);
  };
  return { ...stock, kernelName: FusedConv2D, backendName: "wasm", kernelFunc };
}

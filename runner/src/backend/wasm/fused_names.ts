/**
 * Kernel names of native/fused.c's kernels (wasm only; the gradients and convs call them by name).
 * A module of its own so that scope.ts and conv_gemm.ts can name them without importing
 * fused_kernels.ts, which imports conv_gemm.ts.
 */
export const FusedKernel = {
  /** {dy, x} -> dy where x > 0, else 0. */
  reluGrad: "TesseraReluGrad",
  /** {dy, x, mean} (x, dy [..., C], mean [C]) -> [sum(dy), sum(dy * (x - mean))] over all but C. */
  channelSums: "TesseraChannelSums",
  /** {x, scale} (x [..., C], scale [C]) -> x * scale. */
  scaleChannels: "TesseraScaleChannels",
  /** {v} ([C]) with attr shape [..., C] -> v repeated over the leading axes. */
  broadcastRows: "TesseraBroadcastRows",
  /**
   * {x} ([n,h,w,c]) with attrs oh, ow, fh, fw, sh, sw, dh, dw (dilation, default 1), top, left
   * -> [n*oh*ow, fh*fw*c]: each output pixel's receptive field, tap by tap, zero outside x (conv_gemm.ts;
   * with one 1x1 tap, a filter-gradient tap's input pixels).
   */
  im2col: "TesseraIm2col",
  /**
   * {cols} ([n*oh*ow, fh*fw*c]) with attrs inShape [n,h,w,c] and the conv's oh, ow, fh, fw, sh, sw,
   * dh, dw, top, left -> [n,h,w,c]: im2col's adjoint, each column block added back onto its pixel.
   */
  col2im: "TesseraCol2im",
  /**
   * {a, b, bias?} (a [m,k], or [k,m] with attr transposeA; b [k,n]; bias [n]) -> a b (+ bias), float32
   * [m,n]. Unlike XNNPACK's BatchMatMul it packs no operand per call.
   */
  gemm: "TesseraGemm",
  /** {x} -> x with its first axis reversed. */
  reverseBlocks: "TesseraReverseBlocks",
} as const;

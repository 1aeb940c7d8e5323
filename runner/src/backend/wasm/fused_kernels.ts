import {
  Conv2D,
  FusedBatchNorm,
  FusedConv2D,
  Transpose,
  registerKernel,
  unregisterKernel,
  getKernel,
} from "@tensorflow/tfjs-core";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { FusedExports } from "./native";
import type { GemmThreads } from "./gemm_threads";
import { conv2dGemmConfig, fusedConv2dGemmConfig } from "./conv_gemm";
import { FusedKernel } from "./fused_names";

export { FusedKernel };

/** Floats of the GEMM's panel buffer: GEMM_KC * GEMM_NC in fused.c. */
const GEMM_WORK = 512 * 256;
/** Below ~1M multiply-adds (well under a millisecond) a GEMM stays on the calling thread. */
const GEMM_SPLIT_MIN_MACS = 2 ** 20;

/** The backend methods used here (BackendWasm's, not on KernelBackend). */
interface WasmBackend {
  getMemoryOffset(dataId: object): number;
  makeOutput(shape: number[], dtype: "float32"): TensorInfo;
  disposeData(dataId: object): boolean;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function float32(name: string, ...ts: TensorInfo[]): void {
  for (const t of ts) if (t.dtype !== "float32") throw new Error(`${name}: expected float32, received ${t.dtype}`);
}

/** Rows and channels of `x` seen as [rows, c], checking `v` is a [c] vector. */
function rowsAndChannels(name: string, x: TensorInfo, v: TensorInfo): [number, number] {
  const c = x.shape[x.shape.length - 1] ?? 1;
  if (size(v.shape) !== c) throw new Error(`${name}: expected a [${c}] vector, received [${v.shape.join(",")}]`);
  return [size(x.shape) / c, c];
}

/**
 * im2col's and col2im's arguments after their two pointers: the image [n,h,w,c] and the conv's
 * geometry attrs (oh, ow, fh, fw, sh, sw, dh, dw, top, left; dilations default to 1).
 */
function patchGeometry(image: readonly number[], a: Record<string, number>): number[] {
  const [n = 1, h = 1, w = 1, c = 1] = image;
  return [n, h, w, c, a.oh!, a.ow!, a.fh!, a.fw!, a.sh!, a.sw!, a.dh ?? 1, a.dw ?? 1, a.top!, a.left!];
}

/** The wasm kernel configs backed by the instantiated module `m`. */
export function fusedKernelConfigs(m: FusedExports, threads: GemmThreads | null = null): KernelConfig[] {
  const config = (kernelName: string, kernelFunc: KernelFunc): KernelConfig => ({
    kernelName,
    backendName: "wasm",
    kernelFunc,
  });
  return [
    config(FusedKernel.reluGrad, ({ inputs, backend }) => {
      const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
      float32(FusedKernel.reluGrad, dy, x);
      const b = backend as unknown as WasmBackend;
      const out = b.makeOutput([...x.shape], "float32");
      const at = (t: TensorInfo) => b.getMemoryOffset(t.dataId);
      m.relu_grad(at(dy), at(x), at(out), size(x.shape));
      return out;
    }),
    config(FusedKernel.channelSums, ({ inputs, backend }) => {
      const { dy, x, mean } = inputs as { dy: TensorInfo; x: TensorInfo; mean: TensorInfo };
      float32(FusedKernel.channelSums, dy, x, mean);
      const [rows, c] = rowsAndChannels(FusedKernel.channelSums, x, mean);
      const b = backend as unknown as WasmBackend;
      const sumDy = b.makeOutput([c], "float32");
      const sumDyXc = b.makeOutput([c], "float32");
      const at = (t: TensorInfo) => b.getMemoryOffset(t.dataId);
      m.channel_sums(at(dy), at(x), at(mean), at(sumDy), at(sumDyXc), rows, c);
      return [sumDy, sumDyXc];
    }),
    config(FusedKernel.scaleChannels, ({ inputs, backend }) => {
      const { x, scale } = inputs as { x: TensorInfo; scale: TensorInfo };
      float32(FusedKernel.scaleChannels, x, scale);
      const [rows, c] = rowsAndChannels(FusedKernel.scaleChannels, x, scale);
      const b = backend as unknown as WasmBackend;
      const out = b.makeOutput([...x.shape], "float32");
      const at = (t: TensorInfo) => b.getMemoryOffset(t.dataId);
      m.scale_channels(at(x), at(scale), at(out), rows, c);
      return out;
    }),
    config(FusedKernel.broadcastRows, ({ inputs, backend, attrs }) => {
      const { v } = inputs as { v: TensorInfo };
      const shape = (attrs as { shape: number[] }).shape;
      float32(FusedKernel.broadcastRows, v);
      const b = backend as unknown as WasmBackend;
      const out = b.makeOutput([...shape], "float32");
      const [rows, c] = rowsAndChannels(FusedKernel.broadcastRows, out, v);
      m.broadcast_rows(b.getMemoryOffset(v.dataId), b.getMemoryOffset(out.dataId), rows, c);
      return out;
    }),
    config(FusedKernel.im2col, ({ inputs, backend, attrs }) => {
      const { x } = inputs as { x: TensorInfo };
      const { oh, ow, fh, fw } = attrs as Record<string, number>;
      float32(FusedKernel.im2col, x);
      const [n = 1, , , c = 1] = x.shape;
      const b = backend as unknown as WasmBackend;
      const out = b.makeOutput([n * oh! * ow!, fh! * fw! * c], "float32");
      const geometry = patchGeometry(x.shape, attrs as Record<string, number>);
      m.im2col(b.getMemoryOffset(x.dataId), b.getMemoryOffset(out.dataId), ...geometry);
      return out;
    }),
    config(FusedKernel.col2im, ({ inputs, backend, attrs }) => {
      const { cols } = inputs as { cols: TensorInfo };
      const { inShape, oh, ow, fh, fw } = attrs as Record<string, number> & { inShape: number[] };
      float32(FusedKernel.col2im, cols);
      const [n = 1, h = 1, w = 1, c = 1] = inShape;
      if (cols.shape[0] !== n * oh! * ow! || cols.shape[1] !== fh! * fw! * c)
        throw new Error(
          `${FusedKernel.col2im}: [${cols.shape.join(",")}] are not the columns of [${inShape.join(",")}]`,
        );
      const b = backend as unknown as WasmBackend;
      const out = b.makeOutput([n, h, w, c], "float32");
      const geometry = patchGeometry(inShape, attrs as Record<string, number>);
      m.col2im(b.getMemoryOffset(cols.dataId), b.getMemoryOffset(out.dataId), ...geometry);
      return out;
    }),
    config(FusedKernel.gemm, ({ inputs, backend, attrs }) => {
      const { a, b: bm, bias } = inputs as { a: TensorInfo; b: TensorInfo; bias?: TensorInfo };
      const transposeA = (attrs as { transposeA?: boolean }).transposeA === true;
      float32(FusedKernel.gemm, a, bm, ...(bias ? [bias] : []));
      const [rows = 1, k = 1] = transposeA ? [...a.shape].reverse() : a.shape;
      const [k2 = 1, cols = 1] = bm.shape;
      if (a.shape.length !== 2 || bm.shape.length !== 2 || k !== k2)
        throw new Error(
          `${FusedKernel.gemm}: cannot multiply [${a.shape.join(",")}]${transposeA ? "ᵀ" : ""} by [${bm.shape.join(",")}]`,
        );
      if (bias && size(bias.shape) !== cols)
        throw new Error(`${FusedKernel.gemm}: expected a [${cols}] bias, received [${bias.shape.join(",")}]`);
      const b = backend as unknown as WasmBackend;
      const out = b.makeOutput([rows, cols], "float32");
      const at = (t: TensorInfo) => b.getMemoryOffset(t.dataId);
      const args = {
        a: at(a),
        b: at(bm),
        bias: bias ? at(bias) : 0,
        c: at(out),
        m: rows,
        n: cols,
        k,
        ta: transposeA ? 1 : 0,
      };
      // Split over threads only when each share is worth a hand-off (~10-50 µs).
      const split = threads !== null && rows >= 8 * threads.threads && rows * cols * k >= GEMM_SPLIT_MIN_MACS;
      const works = Array.from({ length: split ? threads.threads : 1 }, () => b.makeOutput([GEMM_WORK], "float32"));
      try {
        if (split) threads.run(m.gemm, args, works.map(at));
        else m.gemm(args.a, args.b, args.bias, args.c, rows, cols, k, at(works[0]!), args.ta, 0, rows);
      } catch (error) {
        b.disposeData(out.dataId);
        throw error;
      } finally {
        for (const w of works) b.disposeData(w.dataId);
      }
      return out;
    }),
    config(FusedKernel.reverseBlocks, ({ inputs, backend }) => {
      const { x } = inputs as { x: TensorInfo };
      float32(FusedKernel.reverseBlocks, x);
      const t = x.shape[0] ?? 1;
      const b = backend as unknown as WasmBackend;
      const out = b.makeOutput([...x.shape], "float32");
      m.reverse_blocks(b.getMemoryOffset(x.dataId), b.getMemoryOffset(out.dataId), t, size(x.shape) / Math.max(t, 1));
      return out;
    }),
  ];
}

/**
 * FusedBatchNorm (batch norm's forward pass) with per-channel statistics as one SIMD pass
 * (batch_norm in fused.c); wasm's own kernel took ~3% of a ResNet-50 training step, ten times an
 * element-wise pass. Other shapes and dtypes run `stock`, wasm's kernel.
 */
export function fusedBatchNormConfig(m: FusedExports, stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { x, mean, variance, scale, offset } = args.inputs as Record<string, TensorInfo | undefined>;
    const c = x!.shape[x!.shape.length - 1] ?? 1;
    const perChannel = [mean, variance, scale, offset].every(
      (t) => t == null || (t.shape.length === 1 && t.shape[0] === c),
    );
    const all = [x, mean, variance, scale, offset].filter((t): t is TensorInfo => t != null);
    if (!perChannel || all.some((t) => t.dtype !== "float32") || size(x!.shape) === 0) return stock.kernelFunc(args);
    const b = args.backend as unknown as WasmBackend;
    const out = b.makeOutput([...x!.shape], "float32");
    const g = b.makeOutput([c], "float32");
    const at = (t: TensorInfo | undefined) => (t == null ? 0 : b.getMemoryOffset(t.dataId));
    const eps = (args.attrs as { varianceEpsilon?: number }).varianceEpsilon ?? 0.001;
    m.batch_norm(at(x), at(mean), at(variance), at(scale), at(offset), eps, at(g), at(out), size(x!.shape) / c, c);
    b.disposeData(g.dataId);
    return out;
  };
  return { ...stock, kernelName: FusedBatchNorm, backendName: "wasm", kernelFunc };
}

/**
 * Transpose of float32 tensors up to rank 4 (transpose4 in fused.c: 4x4 SIMD blocks, row copies
 * when the innermost axis stays); wasm's own kernel moves values one by one (60-180M/s on the conv
 * gradients' layouts, 4% of a ResNet-50 step). Lower ranks are padded with leading 1s; other
 * dtypes and ranks run `stock`.
 */
export function fusedTransposeConfig(m: FusedExports, stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const perm = (args.attrs as { perm: number[] }).perm;
    const rank = x.shape.length;
    if (x.dtype !== "float32" || rank < 2 || rank > 4 || size(x.shape) === 0) return stock.kernelFunc(args);
    const lead = 4 - rank;
    const dims = [...new Array<number>(lead).fill(1), ...x.shape];
    const p4 = [...Array.from({ length: lead }, (_, i) => i), ...perm.map((a) => a + lead)];
    const b = args.backend as unknown as WasmBackend;
    const out = b.makeOutput(
      perm.map((a) => x.shape[a]!),
      "float32",
    );
    m.transpose4(b.getMemoryOffset(x.dataId), b.getMemoryOffset(out.dataId), ...dims, ...p4);
    return out;
  };
  return { ...stock, kernelName: Transpose, backendName: "wasm", kernelFunc };
}

/** wasm's own kernels that the module replaces, kept when the first module registers to restore them. */
let stockBatchNorm: KernelConfig | undefined;
let stockTranspose: KernelConfig | undefined;
let stockConv2D: KernelConfig | undefined;
let stockFusedConv2D: KernelConfig | undefined;

/** Registers (or re-registers, for a new module instance) the kernels of `m` on wasm. */
export function registerFusedKernels(m: FusedExports, threads: GemmThreads | null = null): void {
  stockBatchNorm ??= getKernel(FusedBatchNorm, "wasm");
  stockTranspose ??= getKernel(Transpose, "wasm");
  stockConv2D ??= getKernel(Conv2D, "wasm");
  stockFusedConv2D ??= getKernel(FusedConv2D, "wasm");
  const configs = fusedKernelConfigs(m, threads);
  if (stockBatchNorm !== undefined) configs.push(fusedBatchNormConfig(m, stockBatchNorm));
  if (stockTranspose !== undefined) configs.push(fusedTransposeConfig(m, stockTranspose));
  // The convs call the module's kernels by name, so they follow whichever instance registered last.
  if (stockConv2D !== undefined) configs.push(conv2dGemmConfig(stockConv2D));
  if (stockFusedConv2D !== undefined) configs.push(fusedConv2dGemmConfig(stockFusedConv2D));
  for (const config of configs) {
    if (getKernel(config.kernelName, "wasm") !== undefined) unregisterKernel(config.kernelName, "wasm");
    registerKernel(config);
  }
}

/** Removes them again, restoring wasm's own kernels (gradients take tfjs's composite path). */
export function unregisterFusedKernels(): void {
  for (const name of Object.values(FusedKernel))
    if (getKernel(name, "wasm") !== undefined) unregisterKernel(name, "wasm");
  for (const stock of [stockBatchNorm, stockTranspose, stockConv2D, stockFusedConv2D]) {
    if (stock === undefined || getKernel(stock.kernelName, "wasm") === stock) continue;
    unregisterKernel(stock.kernelName, "wasm");
    registerKernel(stock);
  }
}

import { FusedBatchNorm, Transpose, registerKernel, unregisterKernel, getKernel } from "@tensorflow/tfjs-core";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import type { FusedExports } from "./native";

/** Kernel names of native/fused.c's kernels (wasm only; the gradients in fused_grads.ts call them). */
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
   * {x} ([n,h,w,c]) with attrs oh, ow, sh, sw, top, left -> [n,oh,ow,c], pixel (i,j) taken from
   * x at (i*sh - top, j*sw - left), zero outside: one filter tap's inputs (conv2d_backprop_filter.ts).
   */
  shiftedPixels: "TesseraShiftedPixels",
} as const;

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

/** The wasm kernel configs backed by the instantiated module `m`. */
export function fusedKernelConfigs(m: FusedExports): KernelConfig[] {
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
    config(FusedKernel.shiftedPixels, ({ inputs, backend, attrs }) => {
      const { x } = inputs as { x: TensorInfo };
      const { oh, ow, sh, sw, top, left } = attrs as Record<string, number>;
      float32(FusedKernel.shiftedPixels, x);
      const [n = 1, h = 1, w = 1, c = 1] = x.shape;
      const b = backend as unknown as WasmBackend;
      const out = b.makeOutput([n, oh!, ow!, c], "float32");
      m.shifted_pixels(
        b.getMemoryOffset(x.dataId),
        b.getMemoryOffset(out.dataId),
        n,
        h,
        w,
        c,
        oh!,
        ow!,
        sh!,
        sw!,
        top!,
        left!,
      );
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

/** wasm's own FusedBatchNorm and Transpose, kept when the first module registers to restore them. */
let stockBatchNorm: KernelConfig | undefined;
let stockTranspose: KernelConfig | undefined;

/** Registers (or re-registers, for a new module instance) the kernels of `m` on wasm. */
export function registerFusedKernels(m: FusedExports): void {
  stockBatchNorm ??= getKernel(FusedBatchNorm, "wasm");
  stockTranspose ??= getKernel(Transpose, "wasm");
  const configs = fusedKernelConfigs(m);
  if (stockBatchNorm !== undefined) configs.push(fusedBatchNormConfig(m, stockBatchNorm));
  if (stockTranspose !== undefined) configs.push(fusedTransposeConfig(m, stockTranspose));
  for (const config of configs) {
    if (getKernel(config.kernelName, "wasm") !== undefined) unregisterKernel(config.kernelName, "wasm");
    registerKernel(config);
  }
}

/** Removes them again, restoring wasm's FusedBatchNorm and Transpose (gradients take tfjs's composite path). */
export function unregisterFusedKernels(): void {
  for (const name of Object.values(FusedKernel))
    if (getKernel(name, "wasm") !== undefined) unregisterKernel(name, "wasm");
  for (const stock of [stockBatchNorm, stockTranspose]) {
    if (stock === undefined || getKernel(stock.kernelName, "wasm") === stock) continue;
    unregisterKernel(stock.kernelName, "wasm");
    registerKernel(stock);
  }
}

import { registerKernel, unregisterKernel, getKernel } from "@tensorflow/tfjs-core";
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
} as const;

/** The backend methods used here (BackendWasm's, not on KernelBackend). */
interface WasmBackend {
  getMemoryOffset(dataId: object): number;
  makeOutput(shape: number[], dtype: "float32"): TensorInfo;
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
  ];
}

/** Registers (or re-registers, for a new module instance) the kernels of `m` on wasm. */
export function registerFusedKernels(m: FusedExports): void {
  for (const config of fusedKernelConfigs(m)) {
    if (getKernel(config.kernelName, "wasm") !== undefined) unregisterKernel(config.kernelName, "wasm");
    registerKernel(config);
  }
}

/** Removes them again (the gradients then take tfjs's composite path; for A/B tests). */
export function unregisterFusedKernels(): void {
  for (const name of Object.values(FusedKernel))
    if (getKernel(name, "wasm") !== undefined) unregisterKernel(name, "wasm");
}

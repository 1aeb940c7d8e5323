import { Cast, Identity } from "@tensorflow/tfjs-core";
import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";

/**
 * Identity sharing its input's buffer (one more reference), as the cpu backend's does and as wasm's
 * own Reshape already does. wasm's Identity copies the whole tensor, and the engine runs it for
 * every tensor a gradient saves (`saveTensorsForBackwardMode` clones them): in a training step
 * that copies each saved activation once more, 2-3% of a ResNet step and that much more heap.
 * Sharing is safe because tfjs tensors are immutable: no kernel writes into an input, and
 * `Variable.assign` swaps in a new buffer rather than writing the old one. Strings keep the stock
 * kernel (their bytes live outside the heap).
 */
export function sharedIdentity(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === "string") return original.kernelFunc(args);
    (args.backend as KernelBackend & { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  return { ...original, kernelName: Identity, kernelFunc };
}

/**
 * Cast that shares its input when the dtype does not change (relu's gradient casts a float32 Step
 * to float32, once per ReLU); wasm's Cast copies even then. Other casts use the stock kernel.
 */
export function sharedSameTypeCast(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === "string" || x.dtype !== (args.attrs as { dtype: string }).dtype) return original.kernelFunc(args);
    (args.backend as KernelBackend & { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  return { ...original, kernelName: Cast, kernelFunc };
}

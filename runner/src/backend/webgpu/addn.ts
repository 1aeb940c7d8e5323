/**
 * A chunked AddN for the webgpu backend. tfjs's AddN binds every input as its own storage buffer,
 * so more inputs than the device's `maxStorageBuffersPerShaderStage` (8 by default) make an
 * invalid pipeline — and Dawn reports that only as an uncaptured error while the result silently
 * reads as zeros. Gradients of a ResNet sum many terms through AddN, so this matters for training.
 * We sum in chunks that fit, then sum the partial sums.
 */
import * as tf from "@tensorflow/tfjs-core";

const CHUNKED = Symbol.for("tessera.chunkedAddN");

export function registerChunkedAddN(maxInputs: number): void {
  const original = tf.getKernel("AddN", "webgpu");
  if (!original || (original as unknown as Record<symbol, unknown>)[CHUNKED]) return;
  const originalFunc = original.kernelFunc;
  tf.unregisterKernel("AddN", "webgpu");
  const config: tf.KernelConfig = {
    kernelName: "AddN",
    backendName: "webgpu",
    kernelFunc: (args) => {
      let level = args.inputs as unknown as tf.TensorInfo[];
      const partials: tf.TensorInfo[] = [];
      while (level.length > maxInputs) {
        const next: tf.TensorInfo[] = [];
        for (let i = 0; i < level.length; i += maxInputs) {
          const chunk = level.slice(i, i + maxInputs);
          if (chunk.length === 1) {
            next.push(chunk[0]!);
            continue;
          }
          const sum = originalFunc({ ...args, inputs: chunk as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
          partials.push(sum);
          next.push(sum);
        }
        level = next;
      }
      const result = originalFunc({ ...args, inputs: level as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
      // The backend defers freeing buffers that queued commands still read.
      for (const partial of partials) (args.backend as tf.KernelBackend).disposeData(partial.dataId);
      return result;
    },
  };
  (config as unknown as Record<symbol, unknown>)[CHUNKED] = true;
  tf.registerKernel(config);
}

/** Shared by the ONNX tests: run an exported model in ONNX Runtime and compare with tfjs. */
import * as ort from "onnxruntime-node";
import * as tf from "../../tf";

/** NHWC tfjs images as the NCHW Float32Array ONNX takes. */
export async function nchw(x: tf.Tensor4D): Promise<Float32Array> {
  const t = tf.transpose(x, [0, 3, 1, 2]);
  const data = (await t.data()) as Float32Array;
  t.dispose();
  return data;
}

/** Runs the model bytes in ONNX Runtime (CPU); returns the logits and probabilities. */
export async function runOrt(
  bytes: Uint8Array,
  input: Float32Array,
  shape: number[],
): Promise<{ logits: Float32Array; probabilities: Float32Array }> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ["cpu"] });
  try {
    const out = await session.run({ input: new ort.Tensor("float32", input, shape) });
    return { logits: out.logits!.data as Float32Array, probabilities: out.probabilities!.data as Float32Array };
  } finally {
    await session.release();
  }
}

/** max |a - b| divided by max |b|: the error relative to the scale of the reference logits. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  if (a.length !== b.length) return Infinity;
  return diff / scale;
}

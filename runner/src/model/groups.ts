/**
 * Layer groups over the ResNet parts, freezing, and BatchNorm's training mode.
 *
 * A layer's part comes from its Keras name (`conv1_*`/`pool1_*` -> stem, `convN_*` -> convN,
 * anything else -> head), so it holds for models loaded from checkpoints too.
 *
 * BatchNorm: tfjs-layers updates a BN layer's moving mean/variance inside `call()` whenever it
 * runs with `{ training: true }` (checked in model.test.ts), whether or not the layer is
 * trainable. fastai's default (`train_bn: true`) wants exactly that for every BN layer, with
 * gamma/beta trainable even in frozen groups. With `train_bn: false`, BN layers of frozen groups
 * must behave as frozen Keras BN does (inference mode: moving statistics used, not updated), so
 * each BN layer gets a small `call` wrapper that forces `training: false` while it is frozen.
 */
import type * as tf from "../tf";
import type { ResNetPart } from "@tessera/shared";

/** One named layer group, in network order. */
export interface LayerGroup {
  name: string;
  parts: ResNetPart[];
  layers: tf.layers.Layer[];
}

/** The part of a ResNet a layer belongs to, from its name. */
export function partOfLayer(name: string): ResNetPart {
  if (/^(conv1|pool1)_/.test(name) || name.startsWith("input")) return "stem";
  const m = /^conv([2-5])_/.exec(name);
  if (m) return `conv${m[1]}` as ResNetPart;
  return "head";
}

/** Whether a layer is a BatchNormalization layer. */
export function isBatchNorm(layer: tf.layers.Layer): boolean {
  return layer.getClassName() === "BatchNormalization";
}

const inferenceOnlyBn = new WeakSet<tf.layers.Layer>();
const wrappedBn = new WeakSet<tf.layers.Layer>();

/** Lets {@link setBnInferenceMode} force a BN layer into inference mode; idempotent. */
function wrapBatchNorm(layer: tf.layers.Layer): void {
  if (wrappedBn.has(layer)) return;
  wrappedBn.add(layer);
  const call = layer.call.bind(layer);
  layer.call = (inputs, kwargs) => call(inputs, inferenceOnlyBn.has(layer) ? { ...kwargs, training: false } : kwargs);
}

/** Forces (or stops forcing) inference mode on a BatchNorm layer, whatever `training` says. */
export function setBnInferenceMode(layer: tf.layers.Layer, inference: boolean): void {
  wrapBatchNorm(layer);
  if (inference) inferenceOnlyBn.add(layer);
  else inferenceOnlyBn.delete(layer);
}

/** Whether a BatchNorm layer is currently forced into inference mode. */
export function isBnInferenceMode(layer: tf.layers.Layer): boolean {
  return inferenceOnlyBn.has(layer);
}

/**
 * Sorts the model's layers into the configured groups, in the config's key order (the resolver
 * keeps it in network order). Layers of parts no group names belong to no group and stay frozen.
 */
export function makeGroups(model: tf.LayersModel, groups: Record<string, ResNetPart[]>): LayerGroup[] {
  const result = Object.entries(groups).map(([name, parts]) => ({
    name,
    parts: [...parts],
    layers: [] as tf.layers.Layer[],
  }));
  for (const layer of model.layers) {
    if (isBatchNorm(layer)) wrapBatchNorm(layer);
    const part = partOfLayer(layer.name);
    const group = result.find((g) => g.parts.includes(part));
    group?.layers.push(layer);
  }
  return result;
}

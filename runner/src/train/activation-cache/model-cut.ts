/**
 * Splitting a model at the end of its frozen prefix, for the activation cache: a `prefix` model
 * (input -> the cut tensor) and a `suffix` model (cut tensor -> logits) that shares the original's
 * layers and weights, so training the suffix trains the original model. tfjs-layers has no "submodel
 * from a tensor" API, so the suffix graph is rebuilt by re-applying the original layers on a new
 * input, in the original's topological order, following each layer's first (original) inbound node.
 */
import * as tf from "../../tf";
import type { BuiltModel } from "../../model";

/** A model split at one tensor every later layer depends on. */
export interface ModelCut {
  prefix: tf.LayersModel;
  suffix: tf.LayersModel;
  /** The last layer of the prefix (its output is what gets cached). */
  cutLayer: string;
  /**
   * The suffix starts with a global average pool: the cache keeps the pooled `[1, 1, C]` vector
   * (a mean over one position is the value itself, so the suffix's pool is then the identity).
   */
  pooled: boolean;
  /** Channels of one cached row (its height and width are known only at the cache's image size). */
  channels: number;
}

type Sym = tf.SymbolicTensor;

/** The layers whose outputs depend only on frozen layers: the frozen prefix, in model order. */
function frozenPrefix(built: BuiltModel, trainable: Set<string>): Set<tf.layers.Layer> {
  const trainableLayers = new Set(built.groups.filter((g) => trainable.has(g.name)).flatMap((g) => g.layers));
  const prefix = new Set<tf.layers.Layer>();
  for (const layer of built.model.layers) {
    const inputs = layer.inboundNodes[0]?.inboundLayers ?? [];
    if (!trainableLayers.has(layer) && inputs.every((l) => prefix.has(l))) prefix.add(layer);
  }
  return prefix;
}

/**
 * Cuts `built` after its frozen prefix (every layer outside `trainable` groups whose inputs are all
 * frozen). Returns `{ reason }` instead when there is nothing to cut (the first layer trains) or
 * when the prefix does not end in one tensor (then caching is not possible).
 */
export function cutAtFrozenPrefix(built: BuiltModel, trainable: string[]): ModelCut | { reason: string } {
  const model = built.model;
  const prefix = frozenPrefix(built, new Set(trainable));
  const boundary = [...prefix].filter((l) => l.outboundNodes.some((n) => !prefix.has(n.outboundLayer)));
  const nonInput = [...prefix].filter((l) => l.getClassName() !== "InputLayer");
  if (nonInput.length === 0) return { reason: "the first layer group trains: no frozen prefix" };
  if (boundary.length !== 1) {
    return {
      reason: `the frozen prefix ends in ${boundary.length} tensors (${boundary.map((l) => l.name).join(", ")})`,
    };
  }
  const cut = boundary[0]!;
  const cutOut = cut.output as Sym;
  const channels = cutOut.shape[cutOut.shape.length - 1];
  if (cutOut.shape.length !== 4 || typeof channels !== "number") {
    return { reason: `the frozen prefix ends in ${cut.name} of shape [${cutOut.shape.join(", ")}], not NHWC` };
  }
  const consumers = cut.outboundNodes.filter((n) => !prefix.has(n.outboundLayer));
  const pooled = consumers.length === 1 && consumers[0]!.outboundLayer.getClassName() === "GlobalAveragePooling2D";

  const input = tf.input({ shape: pooled ? [1, 1, channels] : [null, null, channels], name: `${cut.name}_cached` });
  const mapped = new Map<Sym, Sym>([[cutOut, input]]);
  for (const layer of model.layers) {
    if (prefix.has(layer)) continue;
    const node = layer.inboundNodes[0]!;
    const inputs = node.inputTensors.map((t) => {
      const m = mapped.get(t);
      if (!m) throw new Error(`internal: ${layer.name} reads ${t.name}, which is neither cached nor computed`);
      return m;
    });
    const out = layer.apply(inputs.length === 1 ? inputs[0]! : inputs) as Sym | Sym[];
    const outs = Array.isArray(out) ? out : [out];
    node.outputTensors.forEach((t, i) => mapped.set(t, outs[i]!));
  }
  const outputs = model.outputs.map((t) => mapped.get(t)!);
  return {
    prefix: tf.model({ inputs: model.inputs, outputs: cutOut, name: `${model.name}_prefix` }),
    suffix: tf.model({ inputs: input, outputs, name: `${model.name}_suffix` }),
    cutLayer: cut.name,
    pooled,
    channels,
  };
}

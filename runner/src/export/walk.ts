/**
 * The layer walk every hand-mapped exporter shares (ONNX, tfjs graph model): the model's layers in
 * topological order, each layer's first application (its inbound node 0), values looked up by
 * tensor, and a BatchNormalization that is a Conv2D's only consumer handed to that convolution to
 * fold. A model cut from another (the activation cache's prefix) or whose layers were re-applied
 * elsewhere (its suffix) walks as the graph it computes; a layer applied twice inside the model has
 * an input no converted tensor provides and is refused.
 */
import type * as tf from "../tf";
import { ExitError } from "../errors";

/**
 * A layer an exporter has no mapping for, naming the layer, its class and the target format. An
 * ExitError, so `tessera export` prints the message (exit 1) rather than a stack.
 */
export class UnsupportedLayerError extends ExitError {
  constructor(layer: tf.layers.Layer, why: string, format = "ONNX") {
    super(`cannot export layer '${layer.name}' (class ${layer.getClassName()}) to ${format}: ${why}`);
    this.name = "UnsupportedLayerError";
  }
}

/** What an exporter maps; `V` is its value type (a tensor name and shape in the graph being built). */
export interface LayerMapping<V> {
  /** The target format's name, for errors. */
  format: string;
  /** The graph input (after any layout change or baked normalisation). */
  input(): V;
  /** A Conv2D, with the BatchNormalization to fold into it (or null). */
  conv(layer: tf.layers.Layer, x: V, bn: tf.layers.Layer | null): V;
  /** Any other layer, BatchNormalization included; throws UnsupportedLayerError for an unknown class. */
  layer(layer: tf.layers.Layer, inputs: V[]): V;
}

/** Layers that read each layer's output, by the producing layer's name (first applications only). */
function consumers(model: tf.LayersModel): Map<string, tf.layers.Layer[]> {
  const out = new Map<string, tf.layers.Layer[]>();
  for (const layer of model.layers)
    for (const from of layer.inboundNodes[0]?.inboundLayers ?? [])
      out.set(from.name, [...(out.get(from.name) ?? []), layer]);
  return out;
}

/** Walks `model` through `map`; returns the value of the model's output. */
export function walkLayers<V>(model: tf.LayersModel, map: LayerMapping<V>): V {
  if (model.inputs.length !== 1 || model.outputs.length !== 1)
    throw new Error(
      `${map.format} export expects one input and one output; the model has ${model.inputs.length} and ${model.outputs.length}`,
    );
  const values = new Map<number, V>();
  const usedBy = consumers(model);
  const folded = new Set<string>();
  for (const layer of model.layers) {
    const applied = layer.inboundNodes[0];
    const inputs = (applied?.inputTensors ?? []).map((t) => values.get(t.id));
    const cls = layer.getClassName();
    if (cls !== "InputLayer" && inputs.some((i) => i === undefined))
      throw new UnsupportedLayerError(
        layer,
        "the layer is applied more than once, or its input is not in the model",
        map.format,
      );
    const ins = inputs as V[];
    let out: V;
    if (cls === "InputLayer") out = map.input();
    else if (folded.has(layer.name)) out = ins[0]!;
    else if (cls === "Conv2D") {
      const next = usedBy.get(layer.name) ?? [];
      const bn = next.length === 1 && next[0]!.getClassName() === "BatchNormalization" ? next[0]! : null;
      if (bn) folded.add(bn.name);
      out = map.conv(layer, ins[0]!, bn);
    } else out = map.layer(layer, ins);
    for (const t of applied?.outputTensors ?? []) values.set(t.id, out);
  }
  const last = values.get(model.outputs[0]!.id);
  if (last === undefined) throw new Error(`internal: the model's output ${model.outputs[0]!.name} was not converted`);
  return last;
}

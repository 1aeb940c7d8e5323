/**
 * A tfjs LayersModel as an ONNX ModelProto: walks the layers in topological order, maps each
 * (layers.ts), optionally bakes the input normalisation into the graph, and names the outputs
 * `logits` and `probabilities` (softmax over classes).
 *
 * Input `input`: float32 NCHW `[batch, 3, size, size]`, RGB. With `bake` it takes raw 0..255
 * pixels and the graph normalises them; without, it takes already-normalised values (see the
 * `normalize` metadata). The spatial size is fixed because TF's "same" padding of a stride-2
 * convolution depends on whether the side is even, and explicit pads keep the file readable by
 * every runtime (OpenCV DNN included).
 */
import type * as tf from "../../tf";
import type { NormalizeMode } from "../../data";
import { CAFFE_MEAN_BGR, IMAGENET_MEAN, IMAGENET_STD } from "../../data/normalize";
import { batchNorm, conv2d, simpleLayer, UnsupportedLayerError, type GraphSink, type Value } from "./layers";
import { floatTensor, int64Tensor, irVersionFor, node, onnx, valueInfo } from "./proto";

/** What {@link toOnnx} needs besides the model. */
export interface OnnxOptions {
  /** Input side in pixels. */
  size: number;
  /** @default 17 */
  opset?: number;
  /** A fixed batch size, or `dynamic` for a symbolic `batch` dimension. @default "dynamic" */
  batch?: "dynamic" | number;
  /** Bake this normalisation into the graph (input becomes RGB 0..255); null leaves it to the caller. */
  bake?: NormalizeMode | null;
  /** Written to `metadata_props`. */
  metadata?: Record<string, string>;
}

/** Opsets this exporter writes: every op it emits has its current form from 13 on (Softmax axis, Pad inputs). */
export const OPSETS = { min: 13, max: 21 } as const;

/** Appends the normalisation of raw RGB 0..255 NCHW pixels; returns the normalised tensor. */
function bakeNormalize(mode: NormalizeMode, sink: GraphSink): Value["name"] {
  const c = (name: string, v: number[]) =>
    sink.initializers.push(floatTensor(name, [1, 3, 1, 1], Float32Array.from(v)));
  switch (mode) {
    case "caffe":
      // Keras "caffe": RGB -> BGR (a Gather over the channel axis), then subtract the BGR means.
      sink.initializers.push(int64Tensor("pre/bgr_order", [3], [2, 1, 0]));
      c("pre/mean_bgr", [...CAFFE_MEAN_BGR]);
      sink.nodes.push(node("Gather", ["input", "pre/bgr_order"], ["pre/bgr"], "pre/bgr", { axis: 1 }));
      sink.nodes.push(node("Sub", ["pre/bgr", "pre/mean_bgr"], ["pre/normalized"], "pre/sub_mean"));
      break;
    case "imagenet":
      c(
        "pre/mean255",
        IMAGENET_MEAN.map((m) => m * 255),
      );
      c(
        "pre/std255",
        IMAGENET_STD.map((s) => s * 255),
      );
      sink.nodes.push(node("Sub", ["input", "pre/mean255"], ["pre/centered"], "pre/sub_mean"));
      sink.nodes.push(node("Div", ["pre/centered", "pre/std255"], ["pre/normalized"], "pre/div_std"));
      break;
    case "none":
      c("pre/255", [255, 255, 255]);
      sink.nodes.push(node("Div", ["input", "pre/255"], ["pre/normalized"], "pre/div_255"));
      break;
  }
  return "pre/normalized";
}

/** Layers whose only consumer is a BatchNormalization, which gets folded into them. */
function consumers(model: tf.LayersModel): Map<string, tf.layers.Layer[]> {
  const out = new Map<string, tf.layers.Layer[]>();
  for (const layer of model.layers)
    for (const from of layer.inboundNodes[0]?.inboundLayers ?? [])
      out.set(from.name, [...(out.get(from.name) ?? []), layer]);
  return out;
}

/**
 * Converts the model; the result is ready for `onnx.ModelProto.encode`.
 * @throws UnsupportedLayerError for a layer class with no mapping (names the layer and class)
 */
export function toOnnx(model: tf.LayersModel, opts: OnnxOptions): InstanceType<typeof onnx.ModelProto> {
  const opset = opts.opset ?? 17;
  if (!Number.isInteger(opset) || opset < OPSETS.min || opset > OPSETS.max)
    throw new RangeError(`--opset ${opset}: expected an integer from ${OPSETS.min} to ${OPSETS.max}`);
  const batch = opts.batch ?? "dynamic";
  const sink: GraphSink = { nodes: [], initializers: [] };
  const values = new Map<string, Value>();
  const usedBy = consumers(model);
  const folded = new Set<string>();
  if (model.inputs.length !== 1 || model.outputs.length !== 1)
    throw new Error(
      `ONNX export expects one input and one output; the model has ${model.inputs.length} and ${model.outputs.length}`,
    );

  for (const layer of model.layers) {
    // A layer applied twice (shared weights) would need one ONNX node per application.
    if (layer.inboundNodes.length > 1) throw new UnsupportedLayerError(layer, "the layer is applied more than once");
    const inbound = layer.inboundNodes[0]?.inboundLayers ?? [];
    const inputs = inbound.map((l) => values.get(l.name)!);
    const cls = layer.getClassName();
    let out: Value;
    if (cls === "InputLayer") {
      out = { name: opts.bake ? bakeNormalize(opts.bake, sink) : "input", shape: [3, opts.size, opts.size] };
    } else if (folded.has(layer.name)) {
      out = inputs[0]!;
    } else if (cls === "Conv2D") {
      const next = usedBy.get(layer.name) ?? [];
      const bn = next.length === 1 && next[0]!.getClassName() === "BatchNormalization" ? next[0]! : null;
      if (bn) folded.add(bn.name);
      out = conv2d(layer, inputs[0]!, sink, bn);
    } else if (cls === "BatchNormalization") {
      out = batchNorm(layer, inputs[0]!, sink);
    } else {
      out = simpleLayer(layer, inputs, sink);
    }
    if (cls !== "InputLayer" && inputs.some((i) => i === undefined))
      throw new UnsupportedLayerError(layer, "its inputs come from a layer not yet converted");
    values.set(layer.name, out);
  }
  const last = values.get(model.outputLayers[0]!.name)!;
  if (last.shape.length !== 1)
    throw new Error(`the model's output has shape [${last.shape.join(", ")}]; expected [classes]`);
  sink.nodes.push(node("Identity", [last.name], ["logits"], "logits"));
  sink.nodes.push(node("Softmax", ["logits"], ["probabilities"], "probabilities", { axis: 1 }));
  const b = batch === "dynamic" ? "batch" : batch;
  return onnx.ModelProto.create({
    irVersion: irVersionFor(opset),
    opsetImport: [{ domain: "", version: opset }],
    producerName: "tessera",
    graph: {
      name: model.name,
      node: sink.nodes,
      initializer: sink.initializers,
      input: [valueInfo("input", [b, 3, opts.size, opts.size])],
      output: [valueInfo("logits", [b, last.shape[0]!]), valueInfo("probabilities", [b, last.shape[0]!])],
    },
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
  });
}

/** The `.onnx` file bytes. */
export function encodeOnnx(model: InstanceType<typeof onnx.ModelProto>): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

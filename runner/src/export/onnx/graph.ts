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
import { batchNorm, conv2d, simpleLayer, type GraphSink, type Value } from "./layers";
import { walkLayers } from "../walk";
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
  /**
   * Layout of the graph input. `NHWC` (tfjs's own layout) puts one Transpose at the input, so
   * Tessera can feed a tfjs tensor's data unchanged when it infers in memory. @default "NCHW"
   */
  layout?: "NCHW" | "NHWC";
  /**
   * `classifier`: outputs `logits` and `probabilities`. `features`: one output `features`, the
   * model's output as it is (a frozen prefix's activations: `[c]`, or `[h, w, c]` in the input's
   * layout). @default "classifier"
   */
  output?: "classifier" | "features";
}

/** Opsets this exporter writes: every op it emits has its current form from 13 on (Softmax axis, Pad inputs). */
export const OPSETS = { min: 13, max: 21 } as const;

/** Appends the normalisation of raw RGB 0..255 NCHW pixels; returns the normalised tensor. */
function bakeNormalize(mode: NormalizeMode, input: string, sink: GraphSink): Value["name"] {
  const c = (name: string, v: number[]) =>
    sink.initializers.push(floatTensor(name, [1, 3, 1, 1], Float32Array.from(v)));
  switch (mode) {
    case "caffe":
      // Keras "caffe": RGB -> BGR (a Gather over the channel axis), then subtract the BGR means.
      sink.initializers.push(int64Tensor("pre/bgr_order", [3], [2, 1, 0]));
      c("pre/mean_bgr", [...CAFFE_MEAN_BGR]);
      sink.nodes.push(node("Gather", [input, "pre/bgr_order"], ["pre/bgr"], "pre/bgr", { axis: 1 }));
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
      sink.nodes.push(node("Sub", [input, "pre/mean255"], ["pre/centered"], "pre/sub_mean"));
      sink.nodes.push(node("Div", ["pre/centered", "pre/std255"], ["pre/normalized"], "pre/div_std"));
      break;
    case "none":
      c("pre/255", [255, 255, 255]);
      sink.nodes.push(node("Div", [input, "pre/255"], ["pre/normalized"], "pre/div_255"));
      break;
  }
  return "pre/normalized";
}

/** The graph's input value: NHWC transposed to NCHW when asked, then the baked normalisation. */
function graphInput(opts: OnnxOptions, sink: GraphSink): Value {
  let name = "input";
  if (opts.layout === "NHWC") {
    sink.nodes.push(node("Transpose", [name], ["input/nchw"], "input/nchw", { perm: [0, 3, 1, 2] }));
    name = "input/nchw";
  }
  return { name: opts.bake ? bakeNormalize(opts.bake, name, sink) : name, shape: [3, opts.size, opts.size] };
}

/** Appends the graph outputs after `last`; returns their value infos. */
function graphOutputs(last: Value, opts: OnnxOptions, b: number | string, sink: GraphSink) {
  if (opts.output === "features") {
    const nhwc = opts.layout === "NHWC" && last.shape.length === 3;
    const [c, h, w] = last.shape as [number, number, number];
    if (nhwc) sink.nodes.push(node("Transpose", [last.name], ["features"], "features", { perm: [0, 2, 3, 1] }));
    else sink.nodes.push(node("Identity", [last.name], ["features"], "features"));
    return [valueInfo("features", [b, ...(nhwc ? [h, w, c] : last.shape)])];
  }
  if (last.shape.length !== 1)
    throw new Error(`the model's output has shape [${last.shape.join(", ")}]; expected [classes]`);
  sink.nodes.push(node("Identity", [last.name], ["logits"], "logits"));
  sink.nodes.push(node("Softmax", ["logits"], ["probabilities"], "probabilities", { axis: 1 }));
  return [valueInfo("logits", [b, last.shape[0]!]), valueInfo("probabilities", [b, last.shape[0]!])];
}

/**
 * Converts the model (walked by export/walk.ts); the result is ready for `onnx.ModelProto.encode`.
 * @throws UnsupportedLayerError for a layer class with no mapping (names the layer and class)
 */
export function toOnnx(model: tf.LayersModel, opts: OnnxOptions): InstanceType<typeof onnx.ModelProto> {
  const opset = opts.opset ?? 17;
  if (!Number.isInteger(opset) || opset < OPSETS.min || opset > OPSETS.max)
    throw new RangeError(`--opset ${opset}: expected an integer from ${OPSETS.min} to ${OPSETS.max}`);
  const batch = opts.batch ?? "dynamic";
  const sink: GraphSink = { nodes: [], initializers: [] };
  const last = walkLayers<Value>(model, {
    format: "ONNX",
    input: () => graphInput(opts, sink),
    conv: (layer, x, bn) => conv2d(layer, x, sink, bn),
    layer: (layer, ins) =>
      layer.getClassName() === "BatchNormalization" ? batchNorm(layer, ins[0]!, sink) : simpleLayer(layer, ins, sink),
  });
  const b = batch === "dynamic" ? "batch" : batch;
  const inShape = opts.layout === "NHWC" ? [b, opts.size, opts.size, 3] : [b, 3, opts.size, opts.size];
  const output = graphOutputs(last, opts, b, sink);
  return onnx.ModelProto.create({
    irVersion: irVersionFor(opset),
    opsetImport: [{ domain: "", version: opset }],
    producerName: "tessera",
    graph: {
      name: model.name,
      node: sink.nodes,
      initializer: sink.initializers,
      input: [valueInfo("input", inShape)],
      output,
    },
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
  });
}

/** The `.onnx` file bytes. */
export function encodeOnnx(model: InstanceType<typeof onnx.ModelProto>): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

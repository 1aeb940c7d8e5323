/**
 * The hand-written part of the tfjs graph-model export: each tfjs-layers class the ResNet builder
 * uses (resnet.ts, head.ts) as TensorFlow GraphDef nodes in the JSON form `tf.loadGraphModel`
 * reads (tfjs-converter's operation mapper: string attributes base64, integer lists as strings,
 * types as `DT_*` names). NHWC throughout, as tfjs and TensorFlow are; "same"/"valid" padding is
 * TensorFlow's own, so no explicit pads are needed and the graph takes any input size. A
 * BatchNormalization after a Conv2D is folded into its kernel and bias (export/walk.ts decides);
 * any other one becomes Mul + AddV2. Weights become Const nodes named like their manifest entries.
 */
import type * as tf from "../../tf";
import { bnAffine, weightsOf } from "../onnx/layers";
import { UnsupportedLayerError } from "../walk";

/** One GraphDef node as tfjs-converter reads it from model.json. */
export interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
}

/** A constant the graph reads: written to the weights manifest under `name`. */
export interface GraphConst {
  name: string;
  shape: number[];
  dtype: "float32" | "int32";
  data: Float32Array | Int32Array;
}

/** Where the mapping appends what it makes. */
export interface GraphSink {
  nodes: GraphNode[];
  consts: GraphConst[];
}

/** A tensor in the graph: its node name and its rank (4 for images, 2 after pooling). */
export interface GValue {
  name: string;
  rank: number;
}

const FORMAT = "a tfjs graph model";
const T = { type: "DT_FLOAT" };
const b64 = (s: string) => Buffer.from(s).toString("base64");
const ints = (v: number[]) => ({ list: { i: v.map(String) } });
type Cfg = Record<string, unknown>;

function pair(v: unknown): [number, number] {
  const a = Array.isArray(v) ? v : [v, v];
  return [Number(a[0]), Number(a[1])];
}

/** Adds a Const node and its manifest entry; returns its name. */
export function constant(sink: GraphSink, c: GraphConst): string {
  sink.consts.push(c);
  sink.nodes.push({
    name: c.name,
    op: "Const",
    attr: { dtype: { type: c.dtype === "int32" ? "DT_INT32" : "DT_FLOAT" } },
  });
  return c.name;
}

function op(sink: GraphSink, name: string, kind: string, input: string[], attr: Record<string, unknown> = {}): string {
  sink.nodes.push({ name, op: kind, input, attr: { T, ...attr } });
  return name;
}

function activation(layer: tf.layers.Layer, x: GValue, sink: GraphSink): GValue {
  const act = layer.getClassName() === "ReLU" ? "relu" : ((layer.getConfig() as Cfg).activation ?? "linear");
  if (act === "linear") return x;
  if (act === "relu") return { name: op(sink, `${layer.name}/relu`, "Relu", [x.name]), rank: x.rank };
  if (act === "softmax" && x.rank === 2)
    return { name: op(sink, `${layer.name}/softmax`, "Softmax", [x.name]), rank: 2 };
  throw new UnsupportedLayerError(layer, `activation '${String(act)}' has no mapping`, FORMAT);
}

/** Conv2D + BiasAdd, with `bn` folded into the kernel and bias. */
export function conv2d(layer: tf.layers.Layer, x: GValue, sink: GraphSink, bn: tf.layers.Layer | null): GValue {
  const cfg = layer.getConfig() as Cfg;
  if (cfg.dataFormat === "channelsFirst")
    throw new UnsupportedLayerError(layer, "channels_first is not supported", FORMAT);
  if (pair(cfg.dilationRate ?? 1).some((d) => d !== 1))
    throw new UnsupportedLayerError(layer, "dilated convolution", FORMAT);
  const w = weightsOf(layer);
  const kernel = w.get("kernel")!;
  const cout = kernel.shape[3]!;
  const bias = w.get("bias")?.data;
  const { scale, shift } = bn
    ? bnAffine(bn, cout)
    : { scale: new Float64Array(cout).fill(1), shift: new Float64Array(cout) };
  // HWIO kernel: the output channel is the fastest axis, so channel o is every cout-th value.
  const K = Float32Array.from(kernel.data, (v, i) => v * scale[i % cout]!);
  const B = Float32Array.from(scale, (s, o) => (bias ? bias[o]! : 0) * s + shift[o]!);
  const n = bn ? `${layer.name}+${bn.name}` : layer.name;
  const k = constant(sink, { name: `${n}/kernel`, shape: kernel.shape, dtype: "float32", data: K });
  const b = constant(sink, { name: `${n}/bias`, shape: [cout], dtype: "float32", data: B });
  const [sh, sw] = pair(cfg.strides ?? 1);
  const conv = op(sink, `${n}/Conv2D`, "Conv2D", [x.name, k], {
    strides: ints([1, sh, sw, 1]),
    padding: { s: b64(String(cfg.padding).toUpperCase()) },
    data_format: { s: b64("NHWC") },
    dilations: ints([1, 1, 1, 1]),
  });
  const out = op(sink, `${n}/BiasAdd`, "BiasAdd", [conv, b], { data_format: { s: b64("NHWC") } });
  return activation(layer, { name: out, rank: 4 }, sink);
}

/** Every other layer class the ResNet builder uses. */
export function graphLayer(layer: tf.layers.Layer, inputs: GValue[], sink: GraphSink): GValue {
  const cfg = layer.getConfig() as Cfg;
  const n = layer.name;
  const x = inputs[0]!;
  switch (layer.getClassName()) {
    case "Activation":
    case "ReLU":
      return activation(layer, x, sink);
    case "Dropout":
    case "SpatialDropout2D":
      return x; // identity at inference
    case "BatchNormalization": {
      const c = Number(layer.weights[0]?.shape.at(-1));
      const { scale, shift } = bnAffine(layer, c);
      const s = constant(sink, { name: `${n}/scale`, shape: [c], dtype: "float32", data: Float32Array.from(scale) });
      const t = constant(sink, { name: `${n}/shift`, shape: [c], dtype: "float32", data: Float32Array.from(shift) });
      return { name: op(sink, n, "AddV2", [op(sink, `${n}/mul`, "Mul", [x.name, s]), t]), rank: x.rank };
    }
    case "ZeroPadding2D": {
      const [[t, b], [l, r]] = cfg.padding as [[number, number], [number, number]];
      const p = constant(sink, {
        name: `${n}/paddings`,
        shape: [4, 2],
        dtype: "int32",
        data: Int32Array.from([0, 0, t, b, l, r, 0, 0]),
      });
      return { name: op(sink, n, "Pad", [x.name, p], { Tpaddings: { type: "DT_INT32" } }), rank: 4 };
    }
    case "MaxPooling2D": {
      const [kh, kw] = pair(cfg.poolSize);
      const [sh, sw] = pair(cfg.strides ?? cfg.poolSize);
      const name = op(sink, n, "MaxPool", [x.name], {
        ksize: ints([1, kh, kw, 1]),
        strides: ints([1, sh, sw, 1]),
        padding: { s: b64(String(cfg.padding).toUpperCase()) },
        data_format: { s: b64("NHWC") },
      });
      return { name, rank: 4 };
    }
    case "Add":
      if (inputs.length !== 2) throw new UnsupportedLayerError(layer, `Add of ${inputs.length} inputs`, FORMAT);
      return { name: op(sink, n, "AddV2", [inputs[0]!.name, inputs[1]!.name]), rank: x.rank };
    case "GlobalAveragePooling2D": {
      const axes = constant(sink, { name: `${n}/axes`, shape: [2], dtype: "int32", data: Int32Array.from([1, 2]) });
      return {
        name: op(sink, n, "Mean", [x.name, axes], { keep_dims: { b: false }, Tidx: { type: "DT_INT32" } }),
        rank: 2,
      };
    }
    case "Dense": {
      if (x.rank !== 2) throw new UnsupportedLayerError(layer, "Dense on an image tensor (flatten first)", FORMAT);
      const w = weightsOf(layer);
      const kernel = w.get("kernel")!;
      const k = constant(sink, { name: `${n}/kernel`, shape: kernel.shape, dtype: "float32", data: kernel.data });
      let out = op(sink, `${n}/MatMul`, "MatMul", [x.name, k], {
        transpose_a: { b: false },
        transpose_b: { b: false },
      });
      const bias = w.get("bias");
      if (bias) {
        const b = constant(sink, { name: `${n}/bias`, shape: bias.shape, dtype: "float32", data: bias.data });
        out = op(sink, `${n}/BiasAdd`, "BiasAdd", [out, b], { data_format: { s: b64("NHWC") } });
      }
      return activation(layer, { name: out, rank: 2 }, sink);
    }
    default:
      throw new UnsupportedLayerError(layer, "no tfjs graph-model mapping for this layer class", FORMAT);
  }
}

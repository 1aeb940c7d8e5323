/**
 * The hand-written part of the ONNX export: one mapping per tfjs-layers class the ResNet builder
 * uses (resnet.ts, head.ts). tfjs is NHWC; the ONNX graph is NCHW (what ONNX Conv, OpenCV DNN,
 * QuPath/DJL and Triton expect), so kernels are transposed `[kh, kw, in, out] -> [out, in, kh, kw]`
 * and shapes are tracked as `(c, h, w)`. A BatchNormalization right after a Conv2D (its only
 * consumer) is folded into that convolution's weights; any other BatchNormalization becomes an
 * ONNX BatchNormalization node. A class not listed here is an {@link UnsupportedLayerError}.
 */
import type * as tf from "../../tf";
import { floatTensor, int64Tensor, node, type AttrValue } from "./proto";
import type onnxProto from "onnx-proto";
import { UnsupportedLayerError } from "../walk";

export { UnsupportedLayerError };

/** A tensor in the graph being built: its ONNX name and its shape without the batch axis. */
export interface Value {
  name: string;
  /** `[c, h, w]` for images, `[c]` after pooling. */
  shape: number[];
}

/** Where the mapping appends what it makes. */
export interface GraphSink {
  nodes: onnxProto.onnx.INodeProto[];
  initializers: onnxProto.onnx.ITensorProto[];
}

type Cfg = Record<string, unknown>;

/** A layer's tensor and node name in the graph: prefixed so no layer (e.g. `logits`) takes a graph output's name. */
export const tname = (layer: tf.layers.Layer): string => `tf/${layer.name}`;

/** A layer's weights by their Keras name (`kernel`, `bias`, `gamma`, `moving_mean`, ...). */
export function weightsOf(layer: tf.layers.Layer): Map<string, { shape: number[]; data: Float32Array }> {
  return new Map(
    layer.weights.map((w) => [
      w.originalName.split("/").pop()!.replace(/_\d+$/, ""),
      { shape: w.shape as number[], data: w.read().dataSync() as Float32Array },
    ]),
  );
}

function pair(v: unknown): [number, number] {
  const a = Array.isArray(v) ? v : [v, v];
  return [Number(a[0]), Number(a[1])];
}

/** TF "same"/"valid" padding as explicit ONNX pads `[top, left, bottom, right]` (TF puts the odd pixel at the end). */
function pads(
  padding: unknown,
  size: number[],
  kernel: number[],
  strides: number[],
): { pads: number[]; out: number[] } {
  if (padding === "valid")
    return { pads: [0, 0, 0, 0], out: size.map((s, i) => Math.floor((s - kernel[i]!) / strides[i]!) + 1) };
  const out = size.map((s, i) => Math.ceil(s / strides[i]!));
  const total = size.map((s, i) => Math.max((out[i]! - 1) * strides[i]! + kernel[i]! - s, 0));
  return {
    pads: [Math.floor(total[0]! / 2), Math.floor(total[1]! / 2), Math.ceil(total[0]! / 2), Math.ceil(total[1]! / 2)],
    out,
  };
}

/** BatchNormalization's per-channel scale and shift `y = x * scale + shift`, in float64. */
export function bnAffine(layer: tf.layers.Layer, channels: number): { scale: Float64Array; shift: Float64Array } {
  const w = weightsOf(layer);
  const eps = Number((layer.getConfig() as Cfg).epsilon ?? 1e-3);
  const gamma = w.get("gamma")?.data;
  const beta = w.get("beta")?.data;
  const mean = w.get("moving_mean")!.data;
  const variance = w.get("moving_variance")!.data;
  const scale = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = (gamma ? gamma[c]! : 1) / Math.sqrt(variance[c]! + eps);
    shift[c] = (beta ? beta[c]! : 0) - mean[c]! * scale[c]!;
  }
  return { scale, shift };
}

/** Appends `Relu`/`Softmax` for a layer's fused `activation`, or nothing for linear. */
function activation(layer: tf.layers.Layer, x: Value, sink: GraphSink): Value {
  const act = layer.getClassName() === "ReLU" ? "relu" : ((layer.getConfig() as Cfg).activation ?? "linear");
  if (act === "linear") return x;
  const op = act === "relu" ? "Relu" : act === "softmax" && x.shape.length === 1 ? "Softmax" : null;
  if (!op) throw new UnsupportedLayerError(layer, `activation '${String(act)}' has no mapping`);
  const out = `${tname(layer)}/${op.toLowerCase()}`;
  sink.nodes.push(node(op, [x.name], [out], out, op === "Softmax" ? { axis: 1 } : {}));
  return { name: out, shape: x.shape };
}

/** Conv2D (with a following BatchNormalization folded in when `bn` is given). */
export function conv2d(layer: tf.layers.Layer, x: Value, sink: GraphSink, bn: tf.layers.Layer | null): Value {
  const cfg = layer.getConfig() as Cfg;
  if (cfg.dataFormat === "channelsFirst" || cfg.dataFormat === "channels_first")
    throw new UnsupportedLayerError(layer, "channels_first is not supported");
  if (pair(cfg.dilationRate ?? 1).some((d) => d !== 1)) throw new UnsupportedLayerError(layer, "dilated convolution");
  const w = weightsOf(layer);
  const [kh, kw, cin, cout] = w.get("kernel")!.shape as [number, number, number, number];
  const kernel = w.get("kernel")!.data;
  const bias = w.get("bias")?.data;
  const { scale, shift } = bn
    ? bnAffine(bn, cout)
    : { scale: new Float64Array(cout).fill(1), shift: new Float64Array(cout) };
  const W = new Float32Array(cout * cin * kh * kw);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let c = 0; c < cin; c++)
        for (let o = 0; o < cout; o++)
          W[((o * cin + c) * kh + i) * kw + j] = kernel[((i * kw + j) * cin + c) * cout + o]! * scale[o]!;
  const B = Float32Array.from(scale, (s, o) => (bias ? bias[o]! : 0) * s + shift[o]!);
  const strides = pair(cfg.strides ?? 1);
  const p = pads(cfg.padding, x.shape.slice(1), [kh, kw], strides);
  const name = bn ? `${tname(layer)}+${bn.name}` : tname(layer);
  sink.initializers.push(floatTensor(`${name}/W`, [cout, cin, kh, kw], W), floatTensor(`${name}/B`, [cout], B));
  sink.nodes.push(
    node("Conv", [x.name, `${name}/W`, `${name}/B`], [name], name, {
      kernel_shape: [kh, kw],
      strides,
      pads: p.pads,
      dilations: [1, 1],
      group: 1,
    }),
  );
  return activation(layer, { name, shape: [cout, ...p.out] }, sink);
}

/** A BatchNormalization that does not follow a Conv2D: an ONNX BatchNormalization node. */
export function batchNorm(layer: tf.layers.Layer, x: Value, sink: GraphSink): Value {
  const c = x.shape[0]!;
  const { scale, shift } = bnAffine(layer, c);
  const n = tname(layer);
  // Written as scale/shift with mean 0 and variance 1 - eps so the node computes exactly x * scale + shift.
  const eps = 1e-5;
  sink.initializers.push(
    floatTensor(`${n}/scale`, [c], Float32Array.from(scale)),
    floatTensor(`${n}/B`, [c], Float32Array.from(shift)),
    floatTensor(`${n}/mean`, [c], new Float32Array(c)),
    floatTensor(`${n}/var`, [c], new Float32Array(c).fill(1 - eps)),
  );
  sink.nodes.push(
    node("BatchNormalization", [x.name, `${n}/scale`, `${n}/B`, `${n}/mean`, `${n}/var`], [n], n, {
      epsilon: { float: eps },
    }),
  );
  return { name: n, shape: x.shape };
}

/** Everything else the ResNet builder uses, by class name. */
export function simpleLayer(layer: tf.layers.Layer, inputs: Value[], sink: GraphSink): Value {
  const cfg = layer.getConfig() as Cfg;
  const n = tname(layer);
  const x = inputs[0]!;
  const emit = (op: string, ins: string[], attrs: Record<string, AttrValue> = {}) =>
    sink.nodes.push(node(op, ins, [n], n, attrs));
  switch (layer.getClassName()) {
    case "Activation":
    case "ReLU":
      return activation(layer, x, sink);
    case "Dropout":
    case "SpatialDropout2D":
      return x; // identity at inference
    case "ZeroPadding2D": {
      const [[t, b], [l, r]] = cfg.padding as [[number, number], [number, number]];
      sink.initializers.push(int64Tensor(`${n}/pads`, [8], [0, 0, t, l, 0, 0, b, r]));
      emit("Pad", [x.name, `${n}/pads`], { mode: "constant" });
      return { name: n, shape: [x.shape[0]!, x.shape[1]! + t + b, x.shape[2]! + l + r] };
    }
    case "MaxPooling2D": {
      const k = pair(cfg.poolSize);
      const s = pair(cfg.strides ?? cfg.poolSize);
      const p = pads(cfg.padding, x.shape.slice(1), k, s);
      emit("MaxPool", [x.name], { kernel_shape: k, strides: s, pads: p.pads });
      return { name: n, shape: [x.shape[0]!, ...p.out] };
    }
    case "Add":
      if (inputs.length !== 2) throw new UnsupportedLayerError(layer, `Add of ${inputs.length} inputs`);
      emit(
        "Add",
        inputs.map((i) => i.name),
      );
      return { name: n, shape: x.shape };
    case "GlobalAveragePooling2D": {
      sink.nodes.push(node("GlobalAveragePool", [x.name], [`${n}/pool`], `${n}/pool`));
      emit("Flatten", [`${n}/pool`], { axis: 1 });
      return { name: n, shape: [x.shape[0]!] };
    }
    case "Dense": {
      if (x.shape.length !== 1) throw new UnsupportedLayerError(layer, "Dense on an image tensor (flatten first)");
      const w = weightsOf(layer);
      const [cin, cout] = w.get("kernel")!.shape as [number, number];
      const ins = [x.name, `${n}/W`];
      sink.initializers.push(floatTensor(`${n}/W`, [cin, cout], w.get("kernel")!.data));
      if (w.has("bias")) {
        sink.initializers.push(floatTensor(`${n}/B`, [cout], w.get("bias")!.data));
        ins.push(`${n}/B`);
      }
      emit("Gemm", ins);
      return activation(layer, { name: n, shape: [cout] }, sink);
    }
    default:
      throw new UnsupportedLayerError(layer, "no ONNX mapping for this layer class");
  }
}

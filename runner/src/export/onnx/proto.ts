/**
 * Small constructors over the generated ONNX protobuf classes of `onnx-proto` (protobufjs code
 * generated from onnx.proto), so the graph mapping reads as nodes and initialisers rather than as
 * protobuf plumbing. Nothing here hand-encodes protobuf: `onnx.ModelProto.encode` does that.
 */
import onnxProto from "onnx-proto";

export const { onnx } = onnxProto;

/** TensorProto.DataType.FLOAT and INT64 (onnx.proto). */
export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const INT64 = onnx.TensorProto.DataType.INT64;

/** An attribute value this exporter writes. */
export type AttrValue = number | number[] | string | { float: number };

function attribute(name: string, value: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === "string") return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  if (typeof value === "object") return { name, type: T.FLOAT, f: value.float };
  return { name, type: T.INT, i: value };
}

/** One graph node; integer attributes are INT/INTS, `{ float }` is FLOAT. */
export function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  name: string,
  attrs: Record<string, AttrValue> = {},
): onnxProto.onnx.INodeProto {
  return {
    opType,
    input: inputs,
    output: outputs,
    name,
    attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
  };
}

/** A float32 initialiser, stored little-endian in raw_data as onnx.proto asks. */
export function floatTensor(name: string, dims: number[], data: Float32Array): onnxProto.onnx.ITensorProto {
  if (data.length !== dims.reduce((a, b) => a * b, 1))
    throw new Error(`initialiser ${name}: ${data.length} values for shape [${dims.join(", ")}]`);
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** An int64 initialiser (Pad's pads, Gather's indices). */
export function int64Tensor(name: string, dims: number[], values: number[]): onnxProto.onnx.ITensorProto {
  const data = new BigInt64Array(values.map((v) => BigInt(v)));
  return { name, dims, dataType: INT64, rawData: new Uint8Array(data.buffer) };
}

/** A float32 graph input or output; a string dimension is symbolic (`batch`). */
export function valueInfo(name: string, dims: (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

/**
 * The IR version that goes with an opset: ONNX's versioning table (IR 7 = opset 13-14, IR 8 =
 * opset 15-18, IR 9 = opset 19-20, IR 10 = opset 21). Writing the lowest one the opset allows
 * keeps older runtimes (OpenCV, DJL's bundled ORT) able to open the file.
 */
export function irVersionFor(opset: number): number {
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

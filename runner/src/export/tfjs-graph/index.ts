/**
 * `tessera export --format tfjs-graph`: the run's model as a TensorFlow.js graph model
 * (`model.json` with a GraphDef topology + `weights.bin`, the standard weights manifest), what
 * `tensorflowjs_converter` writes from a SavedModel, built here without Python by the same layer
 * walk as the ONNX export (export/walk.ts). Input `input` (NHWC float32, normalised as the
 * manifest says); outputs `logits` and `probabilities`, named in the model's signature, so
 * `model.execute(x, "probabilities")` and `model.predict(x)` both work. Graph models run without
 * tfjs-layers (a smaller bundle in a browser) and tfjs optimises the whole graph at load.
 */
import * as tf from "../../tf";
import { writeArtifacts } from "../../model/fileio";
import { walkLayers } from "../walk";
import { conv2d, graphLayer, type GraphNode, type GraphSink, type GValue } from "./layers";

/** TensorFlow's TensorShape JSON for `[-1 (batch), size, size, 3]`. */
function shapeOf(dims: number[]) {
  return { dim: dims.map((d) => ({ size: String(d) })) };
}

/**
 * Converts the model; returns artifacts `tf.loadGraphModel` takes (and `writeArtifacts` writes).
 * @throws UnsupportedLayerError for a layer class with no mapping (names the layer and class)
 */
export async function toGraphModel(model: tf.LayersModel, size: number): Promise<tf.io.ModelArtifacts> {
  const sink: GraphSink = { nodes: [], consts: [] };
  const input = [-1, size, size, 3];
  const last = walkLayers<GValue>(model, {
    format: "a tfjs graph model",
    input: () => {
      sink.nodes.push({
        name: "input",
        op: "Placeholder",
        attr: { dtype: { type: "DT_FLOAT" }, shape: { shape: shapeOf(input) } },
      });
      return { name: "input", rank: 4 };
    },
    conv: (layer, x, bn) => conv2d(layer, x, sink, bn),
    layer: (layer, ins) => graphLayer(layer, ins, sink),
  });
  if (last.rank !== 2) throw new Error(`the model's output has rank ${last.rank}; expected [batch, classes]`);
  const T = { type: "DT_FLOAT" };
  sink.nodes.push({ name: "logits", op: "Identity", input: [last.name], attr: { T } });
  sink.nodes.push({ name: "probabilities", op: "Softmax", input: ["logits"], attr: { T } });
  const names = new Set<string>();
  for (const n of sink.nodes as GraphNode[]) {
    if (names.has(n.name)) throw new Error(`tfjs graph export: two nodes named '${n.name}' (rename the layer)`);
    names.add(n.name);
  }
  const classes = Number(model.outputs[0]!.shape.at(-1));
  const tensorInfo = (name: string, dims: number[]) => ({
    name: `${name}:0`,
    dtype: "DT_FLOAT",
    tensorShape: shapeOf(dims),
  });
  const named = sink.consts.map((c) => ({ name: c.name, tensor: tf.tensor(c.data, c.shape, c.dtype) }));
  const { data, specs } = await tf.io.encodeWeights(named);
  tf.dispose(named.map((n) => n.tensor));
  return {
    format: "graph-model",
    generatedBy: `tessera (tfjs-layers ${tf.version_layers})`,
    convertedBy: "tessera export --format tfjs-graph",
    modelTopology: { node: sink.nodes, library: {}, versions: { producer: 1 } },
    signature: {
      inputs: { input: tensorInfo("input", input) },
      outputs: {
        logits: tensorInfo("logits", [-1, classes]),
        probabilities: tensorInfo("probabilities", [-1, classes]),
      },
    },
    weightSpecs: specs,
    weightData: data,
  };
}

/** Writes `model.json` + `weights.bin` into `out`; returns the file names. */
export async function writeGraphExport(model: tf.LayersModel, size: number, out: string): Promise<string[]> {
  await writeArtifacts(out, await toGraphModel(model, size));
  return ["model.json", "weights.bin"];
}

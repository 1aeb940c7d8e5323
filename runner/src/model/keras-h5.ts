/**
 * Converts Keras Applications' h5 weight files (the `save_weights` HDF5 layout Keras publishes
 * for ResNet50/101/152) into a tfjs layers model in Node, without Python: h5wasm (HDF5 compiled
 * to WebAssembly) reads the datasets, our builder checks every layer and shape, and the result
 * is saved with `fileHandler`. Layout read: root (or `model_weights/`) attribute `layer_names`;
 * per layer group an attribute `weight_names` (`conv1_conv/kernel:0`, ...); datasets at
 * `<layer>/<weight name>`.
 */
import { readFile } from "node:fs/promises";
import type { Dataset, Group } from "h5wasm/node";
import type { BackboneName } from "@tessera/shared";
import * as tf from "../tf";
import { ConfigError } from "../errors";
import { fileHandler } from "./fileio";
import { buildHead } from "./head";
import { loadWeightsByName } from "./load";
import { mapWeightName } from "./names";
import { buildBackbone } from "./resnet";

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

function strings(value: unknown): string[] {
  // Keras writes an empty float array for layers without weights.
  if (value == null || (ArrayBuffer.isView(value) && !(value instanceof Uint8Array))) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : String(v)).replace(/\0+$/, ""));
}

/** A string-list attribute; Keras splits ones over 64 KB into `name0`, `name1`, ... */
function stringAttr(node: Group, name: string): string[] {
  if (node.attrs[name]) return strings(node.attrs[name].value);
  const chunks: string[] = [];
  for (let i = 0; node.attrs[`${name}${i}`]; i++) chunks.push(...strings(node.attrs[`${name}${i}`]?.value));
  return chunks;
}

/** Every weight of a Keras h5 weights file, by Keras weight name. */
export async function readKerasH5(file: string): Promise<tf.NamedTensorMap> {
  const head = await readFile(file).then(
    (b) => b.subarray(0, 8),
    (error: Error) => {
      throw new ConfigError(`${file}: cannot read (${error.message})`);
    },
  );
  if (!head.equals(HDF5_SIGNATURE)) throw new ConfigError(`${file}: not a readable HDF5 file (no HDF5 signature)`);
  // Imported here, not at the top: h5wasm/node compiles HDF5's wasm when it loads (~2 s, more on a
  // busy machine), and only a first download of Keras weights needs it; every `tessera run` and
  // sweep trial that imports the model code paid it at start.
  const { default: h5wasm } = await import("h5wasm/node");
  await h5wasm.ready;
  const f = new h5wasm.File(file, "r");
  const tensors: tf.NamedTensorMap = {};
  try {
    const root = (f.keys().includes("model_weights") ? f.get("model_weights") : f) as Group;
    const layers = stringAttr(root, "layer_names");
    if (layers.length === 0) throw new ConfigError(`${file}: no "layer_names" attribute: not a Keras weights file`);
    for (const layer of layers) {
      const group = root.get(layer) as Group | null;
      for (const weight of group ? stringAttr(group, "weight_names") : []) {
        const ds = group?.get(weight) as Dataset | null;
        const data = ds?.value;
        if (!ds || !(data instanceof Float32Array)) {
          throw new ConfigError(`${file}: ${layer}/${weight} is missing or not float32`);
        }
        const name = weight.includes("/") ? weight : `${layer}/${weight}`;
        tensors[name] = tf.tensor(data, ds.shape ?? [data.length], "float32");
      }
    }
  } catch (error) {
    tf.dispose(Object.values(tensors));
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${file}: cannot read Keras weights (${(error as Error)?.message ?? String(error)})`);
  } finally {
    f.close();
  }
  return tensors;
}

/**
 * Converts a Keras ResNet h5 weights file into a tfjs layers model in `outDir` (our topology and
 * names, a 1000-way `logits` head when the file has the ImageNet classifier, caffe preprocessing
 * recorded in its metadata).
 * @throws ConfigError when a backbone layer is missing or has another shape
 */
export async function convertKerasH5(
  file: string,
  backbone: BackboneName,
  outDir: string,
  opts: { width?: number } = {},
): Promise<void> {
  const raw = await readKerasH5(file);
  const named = Object.fromEntries(Object.entries(raw).map(([name, t]) => [mapWeightName(name), t]));
  const classes = named["logits/bias"]?.shape[0] ?? 1000;
  const { data, specs } = await tf.io.encodeWeights(named);
  tf.dispose(Object.values(raw));
  const { input, output } = buildBackbone(backbone, { width: opts.width ?? 1 });
  const head = buildHead(output, classes, { dropout: 0, hidden: 0 }, 0);
  const model = tf.model({ inputs: input, outputs: head, name: backbone });
  loadWeightsByName(model, { weightData: data, weightSpecs: specs }, file);
  model.setUserDefinedMetadata({ preprocessing: "caffe", convertedFrom: file.split("/").at(-1) ?? file });
  await model.save(fileHandler(outDir));
  model.dispose();
}

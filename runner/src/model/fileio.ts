/**
 * A tfjs IOHandler over a folder (model.json + weight shards). tfjs-core has no `file://` handler
 * without tfjs-node, which cannot install here, so this small one reads and writes the standard
 * layers-model format with `node:fs` and tfjs-core's own (de)serialisation helpers.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import * as tf from "../tf";
import { ExitError } from "../errors";

/** Reads a folder's (or a model.json file's) model.json and all its shards. */
export async function readArtifacts(dirOrFile: string): Promise<tf.io.ModelArtifacts> {
  const file = dirOrFile.endsWith(".json") ? dirOrFile : path.join(dirOrFile, "model.json");
  const dir = path.dirname(file);
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(await readFile(file, "utf8")) as tf.io.ModelJSON;
  } catch (error) {
    throw new ExitError(`${file}: cannot read a tfjs model.json (${(error as Error).message})`);
  }
  if (json.modelTopology == null || !Array.isArray(json.weightsManifest)) {
    throw new ExitError(`${file}: not a tfjs layers model (modelTopology and weightsManifest expected)`);
  }
  return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
    const buffers: ArrayBuffer[] = [];
    for (const group of manifest) {
      for (const shard of group.paths) {
        const shardFile = path.join(dir, shard);
        const bytes = await readFile(shardFile).catch((error: Error) => {
          throw new ExitError(`${shardFile}: weight shard listed in ${file} cannot be read (${error.message})`);
        });
        buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
      }
    }
    return [tf.io.getWeightSpecs(manifest), tf.io.concatenateArrayBuffers(buffers)];
  });
}

/**
 * Writes artifacts (layers or graph model) as `dir/model.json` + one shard `dir/weights.bin`.
 * `before`: manifest groups whose shards the caller has already written into `dir`, listed first
 * (a checkpoint's frozen shard: train/checkpoints/frozen-part.ts).
 */
export async function writeArtifacts(
  dir: string,
  artifacts: tf.io.ModelArtifacts,
  before: tf.io.WeightsManifestConfig = [],
): Promise<tf.io.SaveResult> {
  await mkdir(dir, { recursive: true });
  const data = artifacts.weightData;
  const bytes = data == null ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(data);
  await writeFile(path.join(dir, "weights.bin"), new Uint8Array(bytes));
  const json: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology as tf.io.ModelJSON["modelTopology"],
    format: artifacts.format ?? "layers-model",
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [...before, { paths: ["weights.bin"], weights: artifacts.weightSpecs ?? [] }],
    ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
    ...(artifacts.signature ? { signature: artifacts.signature } : {}),
  };
  await writeFile(path.join(dir, "model.json"), JSON.stringify(json));
  return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
}

/**
 * An IOHandler for `model.save(fileHandler(dir))` and `tf.loadLayersModel(fileHandler(dir))`.
 * Saving writes one shard; loading reads any number of shards.
 */
export function fileHandler(dir: string): tf.io.IOHandler {
  return { load: () => readArtifacts(dir), save: (artifacts) => writeArtifacts(dir, artifacts) };
}

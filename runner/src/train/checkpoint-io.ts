/**
 * Checkpoints on disk: a standard tfjs layers-model folder (`model.json` + `weights.bin`, what
 * `tensorflowjs_converter` writes and `tf.loadLayersModel` reads) plus `checkpoint.json` saying
 * what it is (stage, epoch, monitor value, classes, preprocessing). tfjs-node's `file://` handler
 * is not installable here, so this is a small save/load handler over node:fs. Writes are atomic:
 * everything goes into a temp folder beside the target, which then replaces it by rename, so a
 * reader (or a crash) never sees a half-written checkpoint.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fsyncDir, writeFileSynced } from "../runs/durable";
import * as tf from "../tf";
import { readCheckpointJson, verifyModelFolder } from "./checkpoint-check";

/** What `checkpoint.json` holds beside the model. */
export interface CheckpointInfo {
  format: 1;
  stage: string;
  epoch: number;
  step: number;
  fold: number | null;
  monitor: string;
  value: number;
  classes: string[];
  preprocessing: "caffe" | "imagenet" | "none";
  /** Image size of the stage that wrote it. */
  size: number;
  time: string;
}

export const MODEL_JSON = "model.json";
export const WEIGHTS_BIN = "weights.bin";
export const CHECKPOINT_JSON = "checkpoint.json";

/** Saves `model` and `info` into `dir`, replacing what was there atomically. */
export async function saveCheckpoint(model: tf.LayersModel, dir: string, info: CheckpointInfo): Promise<void> {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(dir)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0));
      writeFileSynced(join(tmp, WEIGHTS_BIN), new Uint8Array(weights));
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        format: artifacts.format ?? "layers-model",
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
      };
      writeFileSynced(join(tmp, MODEL_JSON), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  writeFileSynced(join(tmp, CHECKPOINT_JSON), `${JSON.stringify(info, null, 2)}\n`);
  fsyncDir(tmp);
  // rename() cannot replace a non-empty folder: move the old one aside first, then drop it.
  const old = join(parent, `.${basename(dir)}.old-${process.pid}`);
  rmSync(old, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  fsyncDir(parent);
  rmSync(old, { recursive: true, force: true });
}

/** A tfjs load handler for a layers-model folder on disk. */
export function fileLoadHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(join(dir, MODEL_JSON), "utf8")) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = manifest.flatMap((g) => g.weights);
        const buffers = manifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p))));
        const all = Buffer.concat(buffers);
        return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)];
      });
    },
  };
}

/**
 * Loads a checkpoint folder written by {@link saveCheckpoint}; a damaged file throws
 * CheckpointDamagedError naming it, with `advice` (what the user can do) in the message.
 */
export async function loadCheckpoint(
  dir: string,
  advice = "train the run again, or restore the folder from a backup",
): Promise<{ model: tf.LayersModel; info: CheckpointInfo }> {
  if (!existsSync(join(dir, MODEL_JSON))) throw new Error(`${dir}: no ${MODEL_JSON} (not a checkpoint folder)`);
  verifyModelFolder(dir, advice);
  const info = readCheckpointJson<CheckpointInfo>(join(dir, CHECKPOINT_JSON), advice);
  const model = await tf.loadLayersModel(fileLoadHandler(dir));
  return { model, info };
}

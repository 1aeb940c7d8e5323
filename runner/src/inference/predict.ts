/**
 * Using a finished run's model: open its best checkpoint with the preprocessing it was trained
 * with, evaluate it on other labelled images (`tessera eval`), label new images
 * (`tessera predict`), and export a self-describing model folder (`tessera export`).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { RUN_FILES, type InferenceEngineName } from "@tessera/shared";
import * as tf from "../tf";
import { decodeFile, normalizeBatch, resolveNormalize, type NormalizeMode, type ResizeMode } from "../data";
import { FORMAT_OF_EXTENSION } from "../data/sources/listing";
import { DataError, ExitError } from "../errors";
import { selectBackend } from "../backend";
import { loadCheckpoint, type CheckpointInfo } from "../train/checkpoints/io";
import { bestCheckpointDir } from "../train/checkpoints/layout";

export { bestCheckpointDir };
import { predictProbs } from "./evaluate";
import { openInferer } from "./engine";

/** A run's best model, ready for inference. */
export interface RunModel {
  runDir: string;
  checkpointDir: string;
  model: tf.LayersModel;
  info: CheckpointInfo;
  classes: string[];
  /** Input side in pixels (the size of the stage that made the checkpoint). */
  size: number;
  resize: ResizeMode;
  normalize: NormalizeMode;
}

/**
 * Which weights `predict`/`eval`/`export` use, in words: `best checkpoint: stage 'all' epoch 3
 * (valid.accuracy 0.9167)`. The best checkpoint is rewritten when an epoch equals or beats the best
 * so far, so a tie goes to the later epoch (docs/training.md).
 */
export function checkpointLabel(info: {
  stage: string;
  epoch: number;
  fold?: number | null;
  monitor?: string;
  value?: number;
}): string {
  const fold = info.fold === null || info.fold === undefined ? "" : `fold ${info.fold} `;
  const value = info.monitor && info.value !== undefined ? ` (${info.monitor} ${info.value.toFixed(4)})` : "";
  return `best checkpoint: ${fold}stage '${info.stage}' epoch ${info.epoch}${value}`;
}

/** For inference commands: wasm where it starts (fast on CPUs), else the always-there cpu backend. */
export async function inferenceBackend(): Promise<string> {
  try {
    return (await selectBackend("wasm")).name;
  } catch {
    return (await selectBackend("cpu")).name;
  }
}

/**
 * Opens the run's best checkpoint (or `checkpointDir`, e.g. `checkpoints/last`) and reads how its
 * inputs were prepared from config.yaml.
 */
export async function openRunModel(runDir: string, checkpointDir = bestCheckpointDir(runDir)): Promise<RunModel> {
  const config = readRunConfig(runDir);
  const { model, info } = await loadCheckpoint(
    checkpointDir,
    `the run's best checkpoint cannot be used: restore ${checkpointDir} from a backup, or train the run again`,
  );
  return {
    runDir,
    checkpointDir,
    model,
    info,
    classes: info.classes,
    size: info.size,
    resize: config?.data?.resize ?? "squish",
    normalize: resolveNormalize(config?.data?.normalize ?? "auto", info.preprocessing),
  };
}

type RunPreprocessing = { data?: { resize?: ResizeMode; normalize?: "auto" | NormalizeMode } } | null;

/**
 * The run's config.yaml, for how its images were prepared. Guessing the resize or normalisation
 * would give silently wrong predictions, so a missing or broken file is an error naming it.
 */
function readRunConfig(runDir: string): RunPreprocessing {
  const file = join(runDir, RUN_FILES.config);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new ExitError(
      `${file}: missing; the run folder is incomplete (it says how images were resized and normalised)`,
    );
  }
  try {
    return parse(text) as RunPreprocessing;
  } catch (error) {
    throw new ExitError(`${file}: not valid YAML (${(error as Error).message.split("\n")[0]})`);
  }
}

/** Image files named directly or found (recursively, sorted) under named folders. */
export function listImages(inputs: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (FORMAT_OF_EXTENSION[name.slice(name.lastIndexOf(".")).toLowerCase()]) out.push(path);
    }
  };
  for (const input of inputs) {
    if (!existsSync(input)) throw new DataError(`${input}: no such file or folder`);
    if (statSync(input).isDirectory()) walk(input);
    else out.push(input);
  }
  if (out.length === 0) throw new DataError(`no images (.png, .jpg, .tif, .webp) in ${inputs.join(", ")}`);
  return out;
}

/** The model's input for some image files. */
export async function inputOf(m: RunModel, files: string[]): Promise<tf.Tensor4D> {
  return tensorOf(m, await Promise.all(files.map((f) => decodeFile(f, m.size, m.resize))));
}

function tensorOf(m: RunModel, tiles: Uint8Array[]): tf.Tensor4D {
  const u8 = new Uint8Array(tiles.length * m.size * m.size * 3);
  tiles.forEach((t, i) => u8.set(t, i * t.length));
  return tf.tidy(() => normalizeBatch(tf.tensor4d(u8, [tiles.length, m.size, m.size, 3], "float32"), m.normalize));
}

/** One labelled prediction. */
export interface Prediction {
  file: string;
  label: string;
  probability: number;
  probabilities: Record<string, number>;
}

/** An image `predictFiles` could not read or decode, and why. */
export interface PredictFailure {
  file: string;
  error: string;
}

/** How {@link predictFiles} infers. */
export interface PredictOptions {
  /** Images per inference call. @default 32 */
  batch?: number;
  /** `--engine`: see inference/engine.ts. @default "auto" */
  engine?: InferenceEngineName;
}

/**
 * Labels image files with the run's best model, `batch` images at a time. A file that cannot be
 * read or decoded is reported in `failed` and the others are still labelled (one bad tile in a
 * folder of thousands should not cost the rest). `engine` says what inferred.
 */
export async function predictFiles(
  m: RunModel,
  files: string[],
  opts: PredictOptions = {},
): Promise<{ predictions: Prediction[]; failed: PredictFailure[]; engine: string }> {
  const batch = opts.batch ?? 32;
  const predictions: Prediction[] = [];
  const failed: PredictFailure[] = [];
  const inferer = await openInferer(m.model, { engine: opts.engine ?? "auto", size: m.size, output: "classifier" });
  try {
    for (let i = 0; i < files.length; i += batch) {
      const decoded = await Promise.allSettled(files.slice(i, i + batch).map((f) => decodeFile(f, m.size, m.resize)));
      const chunk: string[] = [];
      const tiles: Uint8Array[] = [];
      decoded.forEach((d, j) => {
        const file = files[i + j]!;
        if (d.status === "fulfilled") {
          chunk.push(file);
          tiles.push(d.value);
        } else failed.push({ file, error: (d.reason as Error).message });
      });
      if (chunk.length === 0) continue;
      const x = tensorOf(m, tiles);
      const p = await predictProbs(inferer, x, false);
      const probs = await p.array();
      tf.dispose([x, p]);
      chunk.forEach((file, j) => {
        const row = probs[j]!;
        const best = row.indexOf(Math.max(...row));
        predictions.push({
          file,
          label: m.classes[best]!,
          probability: row[best]!,
          probabilities: Object.fromEntries(m.classes.map((c, k) => [c, row[k]!])),
        });
      });
    }
  } finally {
    await inferer.dispose();
  }
  return { predictions, failed, engine: inferer.engine };
}

/**
 * Checkpoints on disk: a standard tfjs layers-model folder (`model.json` + `weights.bin`, plus a
 * `frozen-<sha256>.bin` shard during cached stages (frozen-part.ts); what
 * `tensorflowjs_converter` writes and `tf.loadLayersModel` reads, through the one node:fs IO
 * handler in model/fileio.ts) plus `checkpoint.json` saying what it is (stage, epoch, monitor
 * value, classes, preprocessing). Writes are atomic (`replaceDirAtomic`): a reader, or a crash,
 * never sees a half-written checkpoint. The folder layout is layout.ts.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "../../tf";
import { fileHandler } from "../../model/fileio";
import { replaceDirAtomic } from "../../runs/atomic";
import { readCheckpointJson, verifyModelFolder } from "./check";
import { CHECKPOINT_JSON, MODEL_JSON } from "./layout";
import { frozenPartOf, writeSplitCheckpoint } from "./frozen-part";

export { CHECKPOINT_JSON, MODEL_JSON, WEIGHTS_BIN } from "./layout";

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

/**
 * Writes `model` and `info` into a folder being filled (a staging folder of `replaceDirAtomic`).
 * While a stage has marked part of the model frozen (frozen-part.ts), that part goes into a shard
 * of its own that is linked, not rewritten, when an earlier checkpoint already holds it.
 */
export async function writeCheckpointInto(model: tf.LayersModel, dir: string, info: CheckpointInfo): Promise<void> {
  const part = frozenPartOf(model);
  if (part) await writeSplitCheckpoint(model, dir, part);
  else await model.save(fileHandler(dir));
  writeFileSync(join(dir, CHECKPOINT_JSON), `${JSON.stringify(info, null, 2)}\n`);
}

/** Saves `model` and `info` into `dir`, replacing what was there atomically. */
export async function saveCheckpoint(model: tf.LayersModel, dir: string, info: CheckpointInfo): Promise<void> {
  await replaceDirAtomic(dir, (staging) => writeCheckpointInto(model, staging, info));
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
  const model = await tf.loadLayersModel(fileHandler(dir));
  return { model, info };
}

/**
 * Checkpoints that do not rewrite the frozen prefix. While a stage trains on cached prefix
 * activations (train/activation-cache), the prefix's weights are the ones the stage started from
 * and cannot change, yet every `last`, `best` and resume point wrote all of ResNet50 again (~94 MB
 * and an fsync, three times an epoch): most of a cached trial's time in a sweep. During such a stage
 * a checkpoint is written as a standard two-shard tfjs layers model instead: `frozen-<sha256>.bin`
 * (the prefix's weights, named by their content) and `weights.bin` (everything else). The frozen
 * shard is written once and then hard-linked from the checkpoint folder that already has it, so
 * every folder stays complete and self-contained (tfjs, export, eval and serve read both shards
 * through the manifest; deleting one folder never breaks another). The name is the sha256 of the
 * shard's bytes, computed again whenever any of those weights got a new tensor, so a weight that
 * did change costs a fresh write, never a stale link.
 */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, linkSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RUN_FILES } from "@tessera/shared";
import * as tf from "../../tf";
import { writeArtifacts } from "../../model/fileio";

/** The weights a stage cannot change (tfjs `originalName`s) and the run folder its checkpoints live in. */
export interface FrozenPart {
  names: ReadonlySet<string>;
  runDir: string;
}

// Keyed by the model object rather than passed down: the checkpoint hook, the resume point and the
// interrupt path all save the same model, and only the stage loop knows when the prefix is frozen.
const frozenParts = new WeakMap<tf.LayersModel, FrozenPart>();

/** Marks `names` of `model` as unchangeable until the returned function is called (the stage's end). */
export function markFrozen(model: tf.LayersModel, part: FrozenPart): () => void {
  frozenParts.set(model, part);
  return () => {
    if (frozenParts.get(model) === part) frozenParts.delete(model);
  };
}

/** The frozen part registered for `model`, or null (a plain one-shard checkpoint). */
export function frozenPartOf(model: tf.LayersModel): FrozenPart | null {
  return frozenParts.get(model) ?? null;
}

const FROZEN_SHARD = /^frozen-[0-9a-f]{64}\.bin$/;

/** Every checkpoint folder of a run that may already hold a frozen shard. */
function checkpointFolders(runDir: string): string[] {
  const root = join(runDir, RUN_FILES.checkpoints);
  if (!existsSync(root)) return [];
  // Staging folders of an interrupted write may hold a half-written shard: never link from them.
  const finished = (dir: string) => readdirSync(dir).filter((name) => !name.includes(".staging"));
  const out: string[] = [];
  for (const name of finished(root)) {
    const dir = join(root, name);
    if (/^fold\d+$/.test(name)) out.push(...finished(dir).map((k) => join(dir, k)));
    else out.push(dir);
  }
  return out;
}

/** Hard-links (or copies) `name` of `size` bytes into `dir` from a checkpoint folder that has it; false if none does. */
function linkFrozenShard(dir: string, name: string, size: number, runDir: string): boolean {
  const target = join(dir, name);
  for (const folder of checkpointFolders(runDir)) {
    const source = join(folder, name);
    if (folder === dir || !existsSync(source) || statSync(source).size !== size) continue;
    try {
      linkSync(source, target);
    } catch {
      // A file system without hard links (some network mounts): a copy is still cheaper than
      // re-serialising, and keeps each folder independent.
      copyFileSync(source, target);
    }
    return true;
  }
  return false;
}

/** What was last written for a frozen part: valid while every frozen variable keeps its tensor. */
interface Written {
  /** Each frozen variable's tensor data id when hashed: tfjs replaces it on every assign (setWeights, optimizers). */
  ids: unknown[];
  name: string;
  size: number;
  specs: tf.io.WeightsManifestEntry[];
}
const written = new WeakMap<FrozenPart, Written>();

/**
 * Writes `model` into `dir` as a layers-model folder with two shards, the frozen weights first
 * (see the file comment), the way `model.save` would (same topology and weight specs). The frozen
 * weights are read and hashed only when one of their tensors changed since the last write (tfjs
 * tensors are immutable: a variable that changes gets a new data id); otherwise their shard is
 * linked from the checkpoint folder that has it. Returns how the frozen shard got there.
 */
export async function writeSplitCheckpoint(
  model: tf.LayersModel,
  dir: string,
  part: FrozenPart,
): Promise<"linked" | "written"> {
  const named = (ws: tf.LayerVariable[]) => ws.map((w) => ({ name: w.originalName, tensor: w.read() }));
  const frozenVars = model.weights.filter((w) => part.names.has(w.originalName));
  const restVars = model.weights.filter((w) => !part.names.has(w.originalName));
  const ids = frozenVars.map((w) => w.read().dataId);
  let known = written.get(part);
  if (known && (known.ids.length !== ids.length || known.ids.some((id, i) => id !== ids[i]))) known = undefined;
  let how: "linked" | "written" = "linked";
  if (!known || !linkFrozenShard(dir, known.name, known.size, part.runDir)) {
    const encoded = await tf.io.encodeWeights(named(frozenVars));
    const bytes = new Uint8Array(tf.io.CompositeArrayBuffer.join(encoded.data));
    const name = `frozen-${createHash("sha256").update(bytes).digest("hex")}.bin`;
    if (!linkFrozenShard(dir, name, bytes.byteLength, part.runDir)) {
      writeFileSync(join(dir, name), bytes);
      how = "written";
    }
    known = { ids, name, size: bytes.byteLength, specs: encoded.specs };
    written.set(part, known);
  }
  const rest = await tf.io.encodeWeights(named(restVars));
  const metadata = model.getUserDefinedMetadata();
  await writeArtifacts(
    dir,
    {
      modelTopology: model.toJSON(null, false) as tf.io.ModelArtifacts["modelTopology"],
      format: "layers-model",
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
      convertedBy: null,
      weightSpecs: rest.specs,
      weightData: rest.data,
      ...(metadata ? { userDefinedMetadata: metadata } : {}),
    },
    // The groups' order is the order tfjs concatenates the shards when it loads them.
    [{ paths: [known.name], weights: known.specs }],
  );
  return how;
}

/** True for a checkpoint folder's file that is a frozen shard (the ingest and export keep it). */
export function isFrozenShard(file: string): boolean {
  return FROZEN_SHARD.test(file);
}

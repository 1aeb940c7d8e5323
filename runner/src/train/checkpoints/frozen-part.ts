/**
 * Checkpoints that do not rewrite the frozen prefix. While a stage trains on cached prefix
 * activations (train/activation-cache), the prefix's weights are the ones the stage started from
 * and cannot change, yet every `last`, `best` and resume point wrote all of ResNet50 again (~94 MB
 * and an fsync, three times an epoch): most of a cached trial's time in a sweep. During such a stage
 * a checkpoint is written as a standard two-shard tfjs layers model instead: `frozen-<sha256>.bin`
 * (the prefix's weights, named by their content) and `weights.bin` (everything else). The frozen
 * shard is written once and then hard-linked from the checkpoint folder that already has it, so
 * every folder stays complete and self-contained (tfjs, export, eval and serve read both shards
 * through the manifest; deleting one folder never breaks another). The name is a hash of the bytes
 * about to be written, not of what the stage claims is frozen, so a weight that did change can only
 * cost a fresh write, never a stale link.
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
  const out: string[] = [];
  for (const name of readdirSync(root)) {
    // Staging folders of an interrupted write may hold a half-written shard: never link from them.
    if (name.includes(".staging")) continue;
    const dir = join(root, name);
    if (/^fold\d+$/.test(name)) out.push(...readdirSync(dir).map((k) => join(dir, k)));
    else out.push(dir);
  }
  return out;
}

/** Writes the frozen bytes as `dir/<name>`: a hard link to an existing copy of the same size, else a copy or a write. */
function placeFrozenShard(dir: string, name: string, bytes: Uint8Array, runDir: string): "linked" | "written" {
  const target = join(dir, name);
  for (const folder of checkpointFolders(runDir)) {
    const source = join(folder, name);
    if (folder === dir || !existsSync(source) || statSync(source).size !== bytes.byteLength) continue;
    try {
      linkSync(source, target);
    } catch {
      // A file system without hard links (some network mounts): a copy is still far cheaper than
      // re-serialising, and keeps each folder independent.
      copyFileSync(source, target);
    }
    return "linked";
  }
  writeFileSync(target, bytes);
  return "written";
}

/** Bytes per element of the dtypes tfjs layers models save. */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/**
 * Writes `artifacts` into `dir` as two shards, the frozen weights first (see the file comment).
 * Returns how the frozen shard got there, for tests and the profile.
 */
export function writeSplitArtifacts(
  dir: string,
  artifacts: tf.io.ModelArtifacts,
  part: FrozenPart,
): Promise<{ result: tf.io.SaveResult; frozen: "linked" | "written" }> {
  const specs = artifacts.weightSpecs ?? [];
  const all = new Uint8Array(
    artifacts.weightData == null ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData),
  );
  const frozen: { specs: tf.io.WeightsManifestEntry[]; chunks: Uint8Array[] } = { specs: [], chunks: [] };
  const rest: { specs: tf.io.WeightsManifestEntry[]; chunks: Uint8Array[] } = { specs: [], chunks: [] };
  let offset = 0;
  for (const spec of specs) {
    if (spec.quantization) throw new Error(`internal: checkpoint weight ${spec.name} is quantized`);
    const size = spec.shape.reduce((a, b) => a * b, 1) * (DTYPE_BYTES[spec.dtype] ?? 4);
    const into = part.names.has(spec.name) ? frozen : rest;
    into.specs.push(spec);
    into.chunks.push(all.subarray(offset, offset + size));
    offset += size;
  }
  const frozenBytes = Buffer.concat(frozen.chunks);
  const name = `frozen-${createHash("sha256").update(frozenBytes).digest("hex")}.bin`;
  const how = placeFrozenShard(dir, name, frozenBytes, part.runDir);
  const restBytes = Buffer.concat(rest.chunks);
  // writeArtifacts writes model.json with the one manifest group it is given; the order of the
  // groups is the order tfjs concatenates the shards when it loads them.
  return writeArtifacts(
    dir,
    {
      ...artifacts,
      weightSpecs: rest.specs,
      weightData: restBytes.buffer.slice(restBytes.byteOffset, restBytes.byteOffset + restBytes.byteLength),
    },
    [{ paths: [name], weights: frozen.specs }],
  ).then((result) => ({ result, frozen: how }));
}

/** True for a checkpoint folder's file that is a frozen shard (the ingest and export keep it). */
export function isFrozenShard(file: string): boolean {
  return FROZEN_SHARD.test(file);
}

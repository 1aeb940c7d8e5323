/**
 * The model API the training engine uses: build a ResNet (+ pretrained weights) with the configured
 * head, sort its layers into named groups, freeze/unfreeze groups, run it in training mode.
 *
 * Output: the model outputs LOGITS `[batch, numClasses]` (no softmax layer). Train with
 * `tf.losses.softmaxCrossEntropy(oneHot, logits)`, predict with `tf.softmax(logits)`.
 * Input: `[batch, height, width, 3]` float32, any size, already normalised with
 * `built.preprocessing` (caffe for Keras ImageNet weights, imagenet mean/std otherwise).
 */
import * as tf from "../tf";
import type { BnMode, ResNetPart, ResolvedModel } from "@tessera/shared";
import { ConfigError } from "../errors";
import { bnLayerState } from "./bn-mode";
import { buildBackbone } from "./resnet";
import { buildHead } from "./head";
import { isBatchNorm, makeGroups, setBnInferenceMode, type LayerGroup } from "./groups";
import { readArtifacts } from "./fileio";
import { bnEpsilonOf, loadWeightsByName, preprocessingOf, type LoadReport } from "./load";
import { resolvePretrained } from "./pretrained";
import type { Preprocessing } from "./types";

export { RESNET_SPECS, scaledChannels } from "./resnet";
export { LOGITS_LAYER } from "./head";
export { partOfLayer, isBatchNorm, isBnInferenceMode, type LayerGroup } from "./groups";

export type { Preprocessing } from "./types";
export { fileHandler, readArtifacts, writeArtifacts } from "./fileio";
export {
  checkConfigMemory,
  checkMemoryFits,
  configMemory,
  estimateMemory,
  largestFittingBatch,
  type StageMemory,
  WASM_HEAP_BYTES,
  type MemoryEstimate,
} from "./memory";
export type { LoadReport } from "./load";

/** A built model and what the engine needs to know about it. */
export interface BuiltModel {
  /** Input `[null, null, null, 3]`, output logits `[null, numClasses]`. */
  model: tf.LayersModel;
  /** The configured layer groups, in network order. */
  groups: LayerGroup[];
  /** What the weights expect (`normalize: auto` resolves to this). */
  preprocessing: Preprocessing;
  /** Where the weights came from: `none` (random init) or the source that was loaded. */
  weightsSource: string;
  /** What loading pretrained weights did; null for random init. */
  loadReport: LoadReport | null;
}

/** Options of {@link buildModel}. */
export interface BuildOptions {
  /** Seed of the initialisers (the experiment's `seed`). @default 42 */
  seed?: number;
  /** Cache root for fetched weights. @default TESSERA_CACHE_DIR or ~/.cache/tessera */
  cacheDir?: string;
  /** Folder relative `pretrained:` paths are resolved against (the config's). @default cwd */
  baseDir?: string;
}

/**
 * Builds the configured backbone with an N-way head and its layer groups, and loads
 * `model.pretrained` (`imagenet`, a folder or model.json path, or a URL) by layer name. The
 * source's BatchNorm epsilon is used; its classifier is dropped unless it fits the head.
 * @throws ConfigError when the weights cannot be found or do not fit
 */
export async function buildModel(
  model: ResolvedModel,
  numClasses: number,
  opts: BuildOptions = {},
): Promise<BuiltModel> {
  const seed = opts.seed ?? 42;
  let artifacts: tf.io.ModelArtifacts | null = null;
  let preprocessing: Preprocessing = "imagenet";
  let weightsSource = "none";
  if (model.pretrained !== "none") {
    const resolved = await resolvePretrained(model.pretrained, model.backbone, opts);
    artifacts = await readArtifacts(resolved.dir);
    preprocessing = resolved.preprocessing ?? preprocessingOf(artifacts) ?? "imagenet";
    weightsSource = resolved.label;
  }
  const bnEpsilon = (artifacts && bnEpsilonOf(artifacts)) ?? undefined;
  const { input, output } = buildBackbone(model.backbone, {
    width: model.width,
    seed,
    bnEpsilon,
    // Pretrained weights replace every backbone weight (or the load fails): skip the random draw.
    initialize: artifacts === null,
  });
  const logits = buildHead(output, numClasses, model.head, seed + 100_000);
  const net = tf.model({ inputs: input, outputs: logits, name: model.backbone });
  const loadReport = artifacts ? loadWeightsByName(net, artifacts, weightsSource) : null;
  return { model: net, groups: makeGroups(net, model.groups), preprocessing, weightsSource, loadReport };
}

/**
 * Makes the layers of `trainable` groups trainable and freezes every other layer. With
 * `trainBn`, BatchNorm layers of frozen groups keep training (gamma/beta and moving statistics,
 * fastai's default); without it they are frozen and run in inference mode. `bn` sets how the
 * trainable groups' BatchNorm runs (see `bnLayerState`).
 * @throws ConfigError when a group name is unknown
 */
export function setTrainable(built: BuiltModel, trainable: string[], trainBn: boolean, bn: BnMode = "train"): void {
  const names = built.groups.map((g) => g.name);
  for (const name of trainable) {
    if (!names.includes(name)) {
      throw new ConfigError(`trainable: unknown layer group "${name}", expected one of ${names.join(", ")}`);
    }
  }
  const groupOf = new Map<tf.layers.Layer, boolean>();
  for (const group of built.groups) {
    for (const layer of group.layers) groupOf.set(layer, trainable.includes(group.name));
  }
  for (const layer of built.model.layers) {
    const on = groupOf.get(layer) ?? null;
    if (!isBatchNorm(layer)) {
      layer.trainable = on === true;
      continue;
    }
    const state = bnLayerState(on, trainBn, bn);
    layer.trainable = state.trainable;
    setBnInferenceMode(layer, state.inference);
  }
}

/** The trainable variables of each group (group order; empty list for a frozen group). */
export function trainableVariablesByGroup(built: BuiltModel): Map<string, tf.LayerVariable[]> {
  return new Map(built.groups.map((g) => [g.name, g.layers.flatMap((l) => l.trainableWeights)]));
}

/**
 * Runs the model in training mode (dropout on, BatchNorm on batch statistics and updating its
 * moving mean/variance, except BN layers frozen by `setTrainable`). Use inside `tf.variableGrads`.
 */
export function applyTraining(built: BuiltModel, x: tf.Tensor4D): tf.Tensor2D {
  return built.model.apply(x, { training: true }) as tf.Tensor2D;
}

/** The parts each group covers, for events and `plan`. */
export function groupParts(built: BuiltModel): Record<string, ResNetPart[]> {
  return Object.fromEntries(built.groups.map((g) => [g.name, g.parts]));
}

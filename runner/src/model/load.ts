/**
 * Loads a tfjs layers model's weights into one of our ResNets by layer name (after mapping older
 * Keras names, see names.ts), and reads what the source dictates (BatchNorm epsilon,
 * preprocessing). Backbone layers must all be found with matching shapes; head layers load only
 * where they match (a 1000-way ImageNet classifier does not fit an N-way head and is skipped).
 */
import * as tf from "../tf";
import { ConfigError } from "../errors";
import { partOfLayer } from "./groups";
import { mapWeightName } from "./names";
import type { Preprocessing } from "./types";

/** What {@link loadWeightsByName} did. */
export interface LoadReport {
  /** Layers whose weights were set. */
  loaded: number;
  /** Head layers left at their initialisation (absent from the source or another shape). */
  skipped: string[];
}

interface LayerConfigJson {
  class_name: string;
  name?: string;
  config: Record<string, unknown>;
}

/** The layer configs of a layers-model topology (Keras-converted or tfjs-saved). */
function topologyLayers(artifacts: tf.io.ModelArtifacts): LayerConfigJson[] {
  const topo = artifacts.modelTopology as Record<string, unknown> | undefined;
  const model = (topo?.model_config ?? topo) as { config?: { layers?: LayerConfigJson[] } } | undefined;
  return model?.config?.layers ?? [];
}

/** The BatchNorm epsilon the source was trained with, or null when it has no BatchNorm. */
export function bnEpsilonOf(artifacts: tf.io.ModelArtifacts): number | null {
  const eps = topologyLayers(artifacts)
    .filter((l) => l.class_name === "BatchNormalization")
    .map((l) => l.config.epsilon as number);
  if (eps.length === 0) return null;
  if (new Set(eps).size > 1)
    throw new ConfigError(`pretrained: BatchNorm layers use several epsilons (${[...new Set(eps)].join(", ")})`);
  return eps[0] ?? null;
}

/**
 * The preprocessing the weights need: `userDefinedMetadata.preprocessing` when the model says
 * (Tessera checkpoints do), else caffe for a Keras ResNet topology (Keras Applications'
 * `resnet.preprocess_input`), else null (unknown).
 */
export function preprocessingOf(artifacts: tf.io.ModelArtifacts): Preprocessing | null {
  const meta = artifacts.userDefinedMetadata?.preprocessing;
  if (meta === "caffe" || meta === "imagenet" || meta === "none") return meta;
  const names = new Set(topologyLayers(artifacts).map((l) => l.name ?? (l.config.name as string)));
  if (names.has("bn_conv1") || names.has("conv1_bn")) return "caffe";
  return null;
}

/** Sets every weight of `model` found by (mapped) name in `artifacts`. */
export function loadWeightsByName(model: tf.LayersModel, artifacts: tf.io.ModelArtifacts, source: string): LoadReport {
  if (!artifacts.weightData || !artifacts.weightSpecs) throw new ConfigError(`pretrained: ${source} holds no weights`);
  const raw = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
  const byName = new Map(Object.entries(raw).map(([name, t]) => [mapWeightName(name), t]));
  const report: LoadReport = { loaded: 0, skipped: [] };
  const missing: string[] = [];
  try {
    for (const layer of model.layers) {
      if (layer.weights.length === 0) continue;
      const values: tf.Tensor[] = [];
      let problem: string | null = null;
      for (const w of layer.weights) {
        const param = w.originalName.slice(w.originalName.lastIndexOf("/") + 1);
        const key = `${layer.name}/${param}`;
        const value = byName.get(key);
        if (!value) {
          problem = `${key} is missing`;
        } else if (!tf.util.arraysEqual(value.shape, w.shape as number[])) {
          problem = `${key} has shape [${value.shape}] in the source, the model needs [${w.shape}]`;
        } else {
          values.push(value);
          continue;
        }
        break;
      }
      if (problem === null) {
        layer.setWeights(values);
        report.loaded++;
      } else if (partOfLayer(layer.name) === "head") {
        report.skipped.push(layer.name);
      } else {
        missing.push(problem);
      }
    }
  } finally {
    tf.dispose(Object.values(raw));
  }
  if (missing.length > 0) {
    throw new ConfigError(
      `pretrained: ${source} does not fit this backbone (${missing.length} layers): ${missing.slice(0, 3).join("; ")}` +
        `${missing.length > 3 ? "; ..." : ""} (pretrained weights need model.width: 1 and the same backbone)`,
    );
  }
  return report;
}

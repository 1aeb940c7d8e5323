/**
 * `tessera export --format onnx`: the run's model as `model.onnx` (NCHW float32 input named
 * `input`, outputs `logits` and `probabilities`), with the preprocessing either baked into the
 * graph (`--bake-preprocessing`) or written into `metadata_props` so a consumer can apply it.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunModel } from "../../inference/predict";
import { encodeOnnx, toOnnx } from "./graph";

export { encodeOnnx, toOnnx, OPSETS, type OnnxOptions } from "./graph";
export { UnsupportedLayerError } from "./layers";

/** The exported file's name. */
export const ONNX_FILE = "model.onnx";

/** ONNX flags of `tessera export`. */
export interface OnnxExportOptions {
  /** @default 17 */
  opset?: number;
  /** @default "dynamic" */
  batch?: "dynamic" | number;
  /** Put the normalisation into the graph: the input is then RGB 0..255. */
  bakePreprocessing?: boolean;
}

/** Enough of the export manifest to describe the ONNX file's provenance. */
interface ManifestLike {
  classes: string[];
  normalize: { mode: string };
  source: { run_id: string; config_hash: string; checkpoint: object };
}

/**
 * The `metadata_props` of the file: everything needed to use it without Tessera. Values are
 * strings (ONNX's StringStringEntryProto); lists and objects are JSON.
 */
export function onnxMetadata(m: RunModel, manifest: ManifestLike, baked: boolean): Record<string, string> {
  return {
    classes: JSON.stringify(m.classes),
    input_size: String(m.size),
    input_layout: "NCHW, RGB channel order",
    input_pixels: baked ? "RGB 0..255 (normalisation is inside the graph)" : `normalised as 'normalization' says`,
    resize: m.resize,
    normalization: JSON.stringify(manifest.normalize),
    preprocessing_baked: String(baked),
    outputs: "logits [batch, classes] and probabilities = softmax(logits), in 'classes' order",
    run_id: manifest.source.run_id,
    config_hash: manifest.source.config_hash,
    checkpoint: JSON.stringify(manifest.source.checkpoint),
  };
}

/** Writes `model.onnx` into `out`; returns the file list and the manifest's `input`/`normalize`. */
export function writeOnnxExport(
  m: RunModel,
  out: string,
  opts: OnnxExportOptions,
  manifest: ManifestLike,
): { files: string[]; input: object; normalize: object } {
  const baked = opts.bakePreprocessing ?? false;
  const batch = opts.batch ?? "dynamic";
  const proto = toOnnx(m.model, {
    size: m.size,
    opset: opts.opset ?? 17,
    batch,
    bake: baked ? m.normalize : null,
    metadata: onnxMetadata(m, manifest, baked),
  });
  writeFileSync(join(out, ONNX_FILE), encodeOnnx(proto));
  return {
    files: [ONNX_FILE],
    input: {
      name: "input",
      shape: [batch === "dynamic" ? null : batch, 3, m.size, m.size],
      layout: "NCHW",
      dtype: "float32",
      pixels: baked ? "RGB 0..255" : "RGB, normalised as 'normalize' says",
      resize: m.resize,
    },
    normalize: { ...manifest.normalize, baked },
  };
}

/**
 * What `tessera serve` infers with: a run's checkpoint or an export folder, run by tfjs (the
 * backend chosen as for `predict`: wasm, else cpu) or by ONNX Runtime (`--engine onnx`; a run or
 * a tfjs export is converted in memory, nothing is written). Every engine takes decoded RGB tiles
 * (HWC uint8, `size` x `size`) and returns softmax probabilities in `classes` order.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import * as tf from "../tf";
import {
  CAFFE_MEAN_BGR,
  IMAGENET_MEAN,
  IMAGENET_STD,
  normalizeBatch,
  type NormalizeMode,
  type ResizeMode,
} from "../data";
import { ExitError } from "../errors";
import { encodeOnnx, ONNX_FILE, toOnnx } from "../export/onnx";
import { fileHandler } from "../model/fileio";
import { MODEL_JSON } from "../train/checkpoints/io";
import { EXPORT_MANIFEST } from "../inference/export";
import { inferenceBackend, openRunModel } from "../inference/predict";

/** `--engine`: tfjs (the default) or ONNX Runtime on the CPU. */
export type EngineName = "tfjs" | "onnx";

/** A loaded model behind the server. */
export interface Engine {
  /** e.g. `tfjs-wasm`, `onnxruntime-cpu`. */
  name: string;
  classes: string[];
  size: number;
  resize: ResizeMode;
  normalize: NormalizeMode;
  /** Where the model came from (run id, config hash, checkpoint), for `GET /model`. */
  provenance: Record<string, unknown>;
  /** Probabilities per tile, one inference call for the whole batch. */
  infer(tiles: Uint8Array[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

/** The model as tfjs holds it, before an engine is chosen. */
interface Source {
  classes: string[];
  size: number;
  resize: ResizeMode;
  normalize: NormalizeMode;
  provenance: Record<string, unknown>;
  /** A tfjs model, or null for an ONNX-only export folder. */
  model: tf.LayersModel | null;
  /** An exported model.onnx and whether its preprocessing is baked in. */
  onnx: { bytes: Uint8Array; baked: boolean } | null;
}

interface ManifestFile {
  classes: string[];
  input: { shape: (number | null)[]; resize: ResizeMode };
  normalize: { mode: NormalizeMode; baked?: boolean };
  source: Record<string, unknown>;
}

async function openSource(path: string): Promise<Source> {
  const manifestFile = join(path, EXPORT_MANIFEST);
  if (!existsSync(manifestFile)) {
    const m = await openRunModel(path);
    const provenance = {
      run_folder: path,
      checkpoint: { stage: m.info.stage, epoch: m.info.epoch, value: m.info.value },
    };
    return { ...m, provenance, onnx: null };
  }
  const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as ManifestFile;
  const size = Number(manifest.input.shape.at(-1) === 3 ? manifest.input.shape[1] : manifest.input.shape.at(-1));
  const onnxFile = join(path, ONNX_FILE);
  const hasTfjs = existsSync(join(path, MODEL_JSON));
  if (
    hasTfjs &&
    (JSON.parse(readFileSync(join(path, MODEL_JSON), "utf8")) as { format?: string }).format === "graph-model"
  )
    throw new ExitError(
      `${path}: a tfjs graph-model export, which serve does not load; serve the run folder or an export with --format tfjs or onnx`,
    );
  return {
    classes: manifest.classes,
    size,
    resize: manifest.input.resize,
    normalize: manifest.normalize.mode,
    provenance: { export_folder: path, ...manifest.source },
    model: hasTfjs ? await tf.loadLayersModel(fileHandler(path)) : null,
    onnx: existsSync(onnxFile) ? { bytes: readFileSync(onnxFile), baked: manifest.normalize.baked ?? false } : null,
  };
}

/** Splits a flat `[batch, classes]` array into rows. */
function rows(logits: Float32Array, classes: number): Float32Array[] {
  const rows: Float32Array[] = [];
  for (let i = 0; i < logits.length; i += classes) rows.push(logits.slice(i, i + classes));
  return rows;
}

/** Tiles as one NCHW float batch; `mode` null leaves 0..255 (the graph normalises). */
export function toNchw(tiles: Uint8Array[], size: number, mode: NormalizeMode | null): Float32Array {
  const plane = size * size;
  const out = new Float32Array(tiles.length * 3 * plane);
  const [sub, div, bgr] =
    mode === "caffe"
      ? [[...CAFFE_MEAN_BGR].reverse(), [1, 1, 1], true]
      : mode === "imagenet"
        ? [IMAGENET_MEAN.map((m) => m * 255), IMAGENET_STD.map((s) => s * 255), false]
        : mode === "none"
          ? [[0, 0, 0], [255, 255, 255], false]
          : [[0, 0, 0], [1, 1, 1], false];
  tiles.forEach((t, n) => {
    for (let c = 0; c < 3; c++) {
      const dst = (n * 3 + (bgr ? 2 - c : c)) * plane;
      for (let p = 0; p < plane; p++) out[dst + p] = (t[p * 3 + c]! - sub[c]!) / div[c]!;
    }
  });
  return out;
}

/** What an engine needs to know besides the model. */
export type EngineMeta = Pick<Engine, "classes" | "size" | "resize" | "normalize" | "provenance">;

/** A tfjs model as an engine, on whatever backend is active. */
export function tfjsEngine(model: tf.LayersModel, meta: EngineMeta): Engine {
  return {
    ...meta,
    name: `tfjs-${tf.getBackend()}`,
    async infer(tiles) {
      const u8 = new Uint8Array(tiles.length * meta.size * meta.size * 3);
      tiles.forEach((t, i) => u8.set(t, i * t.length));
      const p = tf.tidy(() => {
        const x = normalizeBatch(tf.tensor4d(u8, [tiles.length, meta.size, meta.size, 3], "float32"), meta.normalize);
        return tf.softmax(model.predict(x) as tf.Tensor2D);
      });
      const data = (await p.data()) as Float32Array;
      p.dispose();
      return rows(data, meta.classes.length);
    },
    async dispose() {
      model.dispose();
    },
  };
}

/** An ONNX model (from tessera's exporter: input `input`, output `probabilities`) as an engine. */
export async function ortEngine(
  bytes: Uint8Array,
  baked: boolean,
  meta: EngineMeta,
  threads?: number,
): Promise<Engine> {
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ["cpu"],
    ...(threads ? { intraOpNumThreads: threads } : {}),
  });
  return {
    ...meta,
    name: "onnxruntime-cpu",
    async infer(tiles) {
      const x = toNchw(tiles, meta.size, baked ? null : meta.normalize);
      const out = await session.run({ input: new ort.Tensor("float32", x, [tiles.length, 3, meta.size, meta.size]) });
      return rows(out.probabilities!.data as Float32Array, meta.classes.length);
    },
    async dispose() {
      await session.release();
    },
  };
}

/** Opens a run folder or an export folder with the chosen engine. */
export async function openEngine(path: string, engine: EngineName, threads?: number): Promise<Engine> {
  if (engine === "tfjs") await inferenceBackend();
  const src = await openSource(path);
  const meta: EngineMeta = {
    classes: src.classes,
    size: src.size,
    resize: src.resize,
    normalize: src.normalize,
    provenance: src.provenance,
  };
  if (engine === "tfjs") {
    if (!src.model) throw new ExitError(`${path}: holds only ${ONNX_FILE}; serve it with --engine onnx`);
    return tfjsEngine(src.model, meta);
  }
  const onnx = src.onnx ?? {
    bytes: encodeOnnx(toOnnx(src.model!, { size: src.size, bake: src.normalize })),
    baked: true,
  };
  src.model?.dispose();
  return ortEngine(onnx.bytes, onnx.baked, meta, threads);
}

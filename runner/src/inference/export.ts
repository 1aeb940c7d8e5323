/**
 * `tessera export` as an API: the run's best checkpoint as a self-describing folder — the standard
 * tfjs layers model (`model.json` + `weights.bin`, loadable with `tf.loadLayersModel`) plus
 * `tessera-model.json` saying what goes in (size, pixel range, normalisation with its constants)
 * and what comes out (logits in `classes` order), and where it came from (run, config hash, metrics).
 */
import { copyFileSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { CAFFE_MEAN_BGR, IMAGENET_MEAN, IMAGENET_STD } from "../data";
import { ExitError } from "../errors";
import { ensureOutDir } from "../out-dir";
import type { RunMeta } from "@tessera/shared";
import { readMeta, readSummary } from "../runs";
import { MODEL_JSON, WEIGHTS_BIN } from "../train/checkpoints/io";
import { fileHandler } from "../model/fileio";
import { checkpointMetrics } from "./checkpoint-metrics";
import { bestCheckpointDir, inferenceBackend, openRunModel } from "./predict";
import { RUN_FILES } from "@tessera/shared";
import { writeOnnxExport, type OnnxExportOptions } from "../export/onnx";
import { writeWebExport } from "../export/web";
import { writeGraphExport } from "../export/tfjs-graph";

/** The name of the description file in an exported folder. */
export const EXPORT_MANIFEST = "tessera-model.json";

const NORMALIZATION = {
  caffe: { description: "RGB -> BGR, then subtract the ImageNet BGR mean (Keras 'caffe')", mean_bgr: CAFFE_MEAN_BGR },
  imagenet: {
    description: "x / 255, minus mean, divided by std, per RGB channel",
    mean: IMAGENET_MEAN,
    std: IMAGENET_STD,
  },
  none: { description: "x / 255" },
} as const;

/** meta.json, whose reader throws a plain Error for a broken file: the message is the user's answer. */
function readMetaOrExit(runDir: string): RunMeta {
  try {
    return readMeta(runDir);
  } catch (error) {
    throw new ExitError((error as Error).message);
  }
}

/**
 * What `tessera export` writes: the tfjs layers model, a tfjs graph model, an ONNX file, or a
 * static web page.
 */
export type ExportFormat = "tfjs" | "tfjs-graph" | "onnx" | "web";

/** Options of {@link exportRun}. */
export interface ExportOptions extends OnnxExportOptions {
  /** @default "tfjs" */
  format?: ExportFormat;
  /** Which checkpoint to export. @default "best" */
  checkpoint?: "best" | "last";
}

function checkpointDirOf(runDir: string, which: "best" | "last"): string {
  if (which === "best") return bestCheckpointDir(runDir);
  const dir = join(runDir, RUN_FILES.lastCheckpoint);
  if (!existsSync(join(dir, MODEL_JSON))) throw new ExitError(`--checkpoint last: ${dir}/${MODEL_JSON} is missing`);
  return dir;
}

/** Writes the export folder; refuses a non-empty folder that is not an earlier export. */
export async function exportRun(
  runDir: string,
  out: string,
  opts: ExportOptions = {},
): Promise<{ out: string; files: string[]; checkpoint: { stage: string; epoch: number; fold: number | null } }> {
  if (existsSync(out) && !statSync(out).isDirectory()) throw new ExitError(`--out ${out}: is a file, not a folder`);
  if (existsSync(out) && readdirSync(out).length > 0 && !existsSync(join(out, EXPORT_MANIFEST))) {
    throw new ExitError(`--out ${out}: the folder is not empty and not an earlier export; refusing to write into it`);
  }
  // Without a chosen backend tfjs falls back to cpu and prints its "install tfjs-node" banner.
  await inferenceBackend();
  const format = opts.format ?? "tfjs";
  const m = await openRunModel(runDir, checkpointDirOf(runDir, opts.checkpoint ?? "best"));
  const meta = readMetaOrExit(runDir);
  const summary = readSummary(runDir, () => undefined);
  const manifest = {
    format: 1,
    name: meta.name,
    classes: m.classes,
    input: {
      shape: [null, m.size, m.size, 3],
      layout: "NHWC",
      dtype: "float32",
      pixels: "RGB 0..255",
      resize: m.resize,
    },
    normalize: { mode: m.normalize, ...NORMALIZATION[m.normalize] },
    output: { kind: "logits", apply: "softmax", order: "classes" },
    source: {
      run_id: meta.id,
      run_folder: basename(runDir),
      config_hash: meta.config_hash,
      data_hash: meta.data_hash,
      checkpoint: { stage: m.info.stage, epoch: m.info.epoch, monitor: m.info.monitor, value: m.info.value },
      backend: meta.backend?.name ?? null,
    },
    // The metrics of the weights in this folder (the best checkpoint's epoch), not the final epoch's.
    metrics: checkpointMetrics(runDir, m.info, summary),
  };
  let files: string[];
  try {
    ensureOutDir(out);
    if (format === "tfjs-graph") {
      files = await writeGraphExport(m.model, m.size, out);
      Object.assign(manifest, {
        format_kind: "tfjs-graph",
        output: { ...manifest.output, names: ["logits", "probabilities"] },
      });
    } else if (format === "onnx") {
      const written = writeOnnxExport(m, out, opts, manifest);
      files = written.files;
      Object.assign(manifest, { format_kind: "onnx", input: written.input, normalize: written.normalize });
    } else {
      if (shardsOf(m.checkpointDir).length === 1) {
        for (const f of [MODEL_JSON, WEIGHTS_BIN]) copyFileSync(join(m.checkpointDir, f), join(out, f));
      } else {
        // A cached stage's checkpoint keeps its frozen prefix in a shard of its own
        // (train/checkpoints/frozen-part.ts); an export is one self-contained weights.bin.
        await m.model.save(fileHandler(out));
      }
      files = [MODEL_JSON, WEIGHTS_BIN];
      if (format === "web") files.push(...writeWebExport(out, manifest));
    }
  } finally {
    m.model.dispose();
  }
  writeFileSync(join(out, EXPORT_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return {
    out,
    files: [...files, EXPORT_MANIFEST],
    checkpoint: { stage: m.info.stage, epoch: m.info.epoch, fold: m.info.fold ?? null },
  };
}

/** The weight shards a checkpoint folder's model.json lists. */
function shardsOf(dir: string): string[] {
  const json = JSON.parse(readFileSync(join(dir, MODEL_JSON), "utf8")) as { weightsManifest: { paths: string[] }[] };
  return json.weightsManifest.flatMap((g) => g.paths);
}

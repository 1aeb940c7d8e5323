/**
 * `tessera eval` as an API: a run's best checkpoint on labelled images — the run's own validation
 * images (no `--data`), the data of another config (`--data x.yaml`, all its images), or a folder
 * with one sub-folder per class (`--data folder`). Classes are matched by name; a class the model
 * does not know is an error naming it.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { PerClass, ResolvedData } from "@tessera/shared";
import { RUN_FILES } from "@tessera/shared";
import * as tf from "../tf";
import { loadConfig } from "../config";
import { loadDataset, loadImages, normalizeBatch, type LoadedDataset } from "../data";
import { DataError } from "../errors";
import { SOURCE_FILE } from "../runs";
import { evaluate } from "./evaluate";
import { openRunModel, type RunModel } from "./inference";
import { mostConfused } from "./metrics";

export interface EvalRunResult {
  run: string;
  checkpoint: string;
  data: string;
  images: number;
  classes: string[];
  accuracy: number;
  loss: number;
  per_class: PerClass[];
  /** rows = true class, cols = predicted, in `classes` order (the model's). */
  confusion: number[][];
  most_confused: { actual: string; predicted: string; count: number }[];
}

const DEFAULT_AUGMENT = { dihedral: false, crop: null, brightness: 0, contrast: 0, stain_jitter: 0 };

/** A labelled folder read like `data.source: folder` with labels from sub-folders. */
function folderData(path: string, m: RunModel): ResolvedData {
  return {
    source: "folder",
    path: resolve(path),
    label: { from: "folder" },
    split: { protocol: "holdout", valid: 0.2, k: 5, folds: null, stratify: true, seed: 0 },
    resize: m.resize,
    normalize: m.normalize,
    augment: DEFAULT_AUGMENT,
    on_bad_image: "error",
  };
}

async function datasetFor(runDir: string, m: RunModel, data: string | undefined) {
  if (data === undefined) {
    const loaded = await loadConfig(join(runDir, RUN_FILES.config));
    const sourceFile = join(runDir, SOURCE_FILE);
    const source = existsSync(sourceFile)
      ? (JSON.parse(readFileSync(sourceFile, "utf8")) as { config_file?: string })
      : {};
    const baseDir = source.config_file ? dirname(source.config_file) : process.cwd();
    const ds = await loadDataset(loaded.config.data, { seed: loaded.config.seed, baseDir });
    return { ds, indices: ds.folds.at(-1)?.valid ?? [], label: "the run's validation images" };
  }
  if (!existsSync(data)) throw new DataError(`--data ${data}: no such file or folder`);
  if (statSync(data).isDirectory()) {
    const ds = await loadDataset(folderData(data, m), { seed: 0, baseDir: process.cwd() });
    return { ds, indices: ds.items.map((_, i) => i), label: data };
  }
  const loaded = await loadConfig(data);
  const ds = await loadDataset(loaded.config.data, { seed: loaded.config.seed, baseDir: dirname(loaded.file) });
  return { ds, indices: ds.items.map((_, i) => i), label: `${data} (all images)` };
}

/** Maps the dataset's labels onto the model's class order. */
function labelsFor(ds: LoadedDataset, classes: string[]): number[] {
  const unknown = ds.classes.filter((c) => !classes.includes(c));
  if (unknown.length > 0) {
    throw new DataError(
      `the data has class(es) the model does not know: ${unknown.join(", ")} (model: ${classes.join(", ")})`,
    );
  }
  return ds.items.map((item) => classes.indexOf(ds.classes[item.label]!));
}

/** Evaluates the run's best checkpoint on `data` (see the module comment). */
export async function evalRun(runDir: string, data?: string): Promise<EvalRunResult> {
  const m = await openRunModel(runDir);
  const { ds, indices, label } = await datasetFor(runDir, m, data);
  const labels = labelsFor(ds, m.classes);
  const ev = await evaluate({
    model: m.model,
    input: async (idx, size) => {
      const u8 = await loadImages(ds, idx, size, m.resize);
      return tf.tidy(() => normalizeBatch(tf.tensor4d(u8, [idx.length, size, size, 3], "float32"), m.normalize));
    },
    indices,
    labels,
    classes: m.classes,
    size: m.size,
    batchSize: 32,
  });
  return {
    run: runDir,
    checkpoint: m.checkpointDir,
    data: label,
    images: indices.length,
    classes: m.classes,
    accuracy: ev.accuracy,
    loss: ev.loss,
    per_class: ev.perClass,
    confusion: ev.confusion,
    most_confused: mostConfused(ev.confusion, m.classes),
  };
}

/**
 * `tessera eval` as an API: a run's best checkpoint on labelled images — the run's own validation
 * images (no `--data`), the data of another config (`--data x.yaml`, all its images), or a folder
 * with one sub-folder per class (`--data folder`). Classes are matched by name; a class the model
 * does not know is an error naming it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import type { InferenceEngineName, PerClass } from "@tessera/shared";
import { RUN_FILES } from "@tessera/shared";
import * as tf from "../tf";
import { loadConfig } from "../config";
import { loadDataset, loadImages, normalizeBatch, type LoadedDataset } from "../data";
import { DataError } from "../errors";
import { SOURCE_FILE } from "../runs";
import { evaluate, type InputFn } from "./evaluate";
import { openInferer } from "./engine";
import { inputOf, listImages, openRunModel, type RunModel } from "./predict";
import { mostConfused } from "@tessera/shared";

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
  /** What inferred: `onnxruntime-cpu` or `tfjs-<backend>`. */
  engine: string;
}

/** Labelled images to evaluate on, whatever their source. */
interface EvalSet {
  label: string;
  /** Class name of every item. */
  names: string[];
  indices: number[];
  input: InputFn;
}

function fromDataset(ds: LoadedDataset, m: RunModel, indices: number[], label: string): EvalSet {
  return {
    label,
    names: ds.items.map((item) => ds.classes[item.label]!),
    indices,
    input: async (idx, size) => {
      const u8 = await loadImages(ds, idx, size, m.resize);
      return tf.tidy(() => normalizeBatch(tf.tensor4d(u8, [idx.length, size, size, 3], "float32"), m.normalize));
    },
  };
}

/**
 * A folder with one sub-folder per class, read directly rather than as a `folder` data source:
 * evaluation needs no split, so a class with a single image is fine here.
 */
function fromFolder(dir: string, m: RunModel): EvalSet {
  const files: string[] = [];
  const names: string[] = [];
  for (const cls of readdirSync(dir).sort()) {
    if (!statSync(join(dir, cls)).isDirectory()) continue;
    for (const f of listImages([join(dir, cls)])) {
      files.push(f);
      names.push(cls);
    }
  }
  if (files.length === 0) throw new DataError(`--data ${dir}: no class sub-folders with images`);
  return {
    label: dir,
    names,
    indices: files.map((_, i) => i),
    input: (idx) =>
      inputOf(
        m,
        idx.map((i) => files[i]!),
      ),
  };
}

async function evalSetFor(runDir: string, m: RunModel, data: string | undefined): Promise<EvalSet> {
  if (data === undefined) {
    const loaded = await loadConfig(join(runDir, RUN_FILES.config));
    const sourceFile = join(runDir, SOURCE_FILE);
    const source = existsSync(sourceFile)
      ? (JSON.parse(readFileSync(sourceFile, "utf8")) as { config_file?: string })
      : {};
    const baseDir = source.config_file ? dirname(source.config_file) : process.cwd();
    const ds = await loadDataset(loaded.config.data, { seed: loaded.config.seed, baseDir });
    return fromDataset(ds, m, ds.folds.at(-1)?.valid ?? [], "the run's validation images");
  }
  if (!existsSync(data)) throw new DataError(`--data ${data}: no such file or folder`);
  if (statSync(data).isDirectory()) return fromFolder(data, m);
  const loaded = await loadConfig(data);
  const ds = await loadDataset(loaded.config.data, { seed: loaded.config.seed, baseDir: dirname(loaded.file) });
  return fromDataset(
    ds,
    m,
    ds.items.map((_, i) => i),
    `${data} (all images)`,
  );
}

/** The model's class index of every item; a class the model does not know is an error naming it. */
function labelsFor(names: string[], classes: string[]): number[] {
  const unknown = [...new Set(names.filter((c) => !classes.includes(c)))];
  if (unknown.length > 0) {
    throw new DataError(
      `the data has class(es) the model does not know: ${unknown.join(", ")} (model: ${classes.join(", ")})`,
    );
  }
  return names.map((n) => classes.indexOf(n));
}

/**
 * Evaluates the run's best checkpoint on `data` (see the module comment), on `opts.engine`
 * (`--engine`, default auto: see inference/engine.ts).
 */
export async function evalRun(
  runDir: string,
  data?: string,
  opts: { engine?: InferenceEngineName } = {},
): Promise<EvalRunResult> {
  const m = await openRunModel(runDir);
  const set = await evalSetFor(runDir, m, data);
  const { indices, label } = set;
  const labels = labelsFor(set.names, m.classes);
  const inferer = await openInferer(m.model, { engine: opts.engine ?? "auto", size: m.size, output: "classifier" });
  const ev = await evaluate({
    model: inferer,
    input: set.input,
    indices,
    labels,
    classes: m.classes,
    size: m.size,
    batchSize: 32,
  }).finally(() => inferer.dispose());
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
    engine: inferer.engine,
  };
}

/** `tessera predict <run> <images|folder>... [--json]`: label new images with the best checkpoint. */
import { resolveRunRef, runsDirFrom } from "../../runs";
import { inferenceBackend, listImages, openRunModel, predictFiles } from "../../train/inference";

export interface PredictCommandOptions {
  runsDir?: string;
  json?: boolean;
}

/** One line per image (file, label, probability) on stdout, or one JSON document with every probability. */
export async function predictCommand(ref: string, images: string[], opts: PredictCommandOptions = {}): Promise<void> {
  const dir = resolveRunRef(ref, runsDirFrom(opts.runsDir));
  const files = listImages(images);
  await inferenceBackend();
  const model = await openRunModel(dir);
  const predictions = await predictFiles(model, files);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ run: dir, classes: model.classes, predictions }, null, 2)}\n`);
    return;
  }
  for (const p of predictions) process.stdout.write(`${p.file}\t${p.label}\t${p.probability.toFixed(4)}\n`);
}

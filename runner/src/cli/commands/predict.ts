/** `tessera predict <run> <images|folder>... [--json]`: label new images with the best checkpoint. */
import type { InferenceEngineName } from "@tessera/shared";
import { ExitError } from "../../errors";
import { resolveRunRef, runsDirFrom } from "../../runs";
import { checkpointLabel, inferenceBackend, listImages, openRunModel, predictFiles } from "../../inference/predict";

export interface PredictCommandOptions {
  runsDir?: string;
  json?: boolean;
  /** `--engine auto|tfjs|onnx` */
  engine?: InferenceEngineName;
}

/**
 * One line per image (file, label, probability) on stdout, or one JSON document with every
 * probability. Images that cannot be decoded are named on stderr (and under `failed` in the JSON);
 * the others are still labelled, and the command then exits 1.
 */
export async function predictCommand(ref: string, images: string[], opts: PredictCommandOptions = {}): Promise<void> {
  const dir = resolveRunRef(ref, runsDirFrom(opts.runsDir));
  const files = listImages(images);
  await inferenceBackend();
  const model = await openRunModel(dir);
  const { predictions, failed, engine } = await predictFiles(model, files, opts.engine ? { engine: opts.engine } : {});
  const { stage, epoch, fold, monitor, value } = model.info;
  process.stderr.write(`tessera predict: ${checkpointLabel(model.info)}, on ${engine}\n`);
  if (opts.json) {
    const checkpoint = { stage, epoch, fold: fold ?? null, monitor, value };
    process.stdout.write(
      `${JSON.stringify({ run: dir, checkpoint, engine, classes: model.classes, predictions, failed }, null, 2)}\n`,
    );
  } else {
    for (const p of predictions) process.stdout.write(`${p.file}\t${p.label}\t${p.probability.toFixed(4)}\n`);
  }
  for (const f of failed) process.stderr.write(`${f.error}\n`);
  if (failed.length > 0)
    throw new ExitError(
      `${failed.length} of ${files.length} images could not be read; the other ${predictions.length} were labelled`,
    );
}

/**
 * The end of a run: summary.json (RunSummary) from the folds' results, and the top losses of the
 * last validation pass with a small PNG thumbnail of each in `top_losses/`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { FORMAT, RUN_FILES, type Monitor, type RunSummary } from "@tessera/shared";
import type { FoldResult } from "./fold";
import { meanStd, mostConfused, topLossIndices } from "@tessera/shared";

/** One row of `top_losses/top_losses.json`. */
export interface TopLoss {
  key: string;
  /** The image file; null for synthetic images. */
  file: string | null;
  actual: string;
  predicted: string;
  loss: number;
  probability: number;
  /** Thumbnail file, relative to the run folder. */
  image: string;
}

const THUMB = 64;

/** Builds the summary; the last fold gives the final metrics, every fold its accuracy. */
export function buildSummary(folds: FoldResult[], monitor: Monitor, seconds: number): RunSummary {
  const main = folds.at(-1);
  const last = main?.last ?? null;
  const classes = main?.data.classes ?? [];
  const confusion = last?.confusion ?? [];
  const kfold = folds.length > 1 || (main?.fold ?? null) !== null;
  const accs = folds.map((f) => f.last?.valid_accuracy ?? NaN);
  const stats = kfold ? meanStd(accs) : null;
  const ttas = folds.map((f) => f.tta?.accuracy ?? null);
  const ttaStats = kfold && ttas.every((t) => t !== null) ? meanStd(ttas as number[]) : null;
  const best = main?.best ?? null;
  return {
    format: FORMAT,
    classes,
    best: best ? { stage: best.stage, epoch: best.epoch, monitor, value: best.value } : null,
    final: {
      valid_accuracy: last?.valid_accuracy ?? NaN,
      valid_loss: last?.valid_loss ?? NaN,
      train_loss: last?.train_loss ?? NaN,
    },
    tta_accuracy: main?.tta?.accuracy ?? null,
    per_class: last?.per_class ?? [],
    confusion,
    most_confused: mostConfused(confusion, classes),
    folds: kfold
      ? folds.map((f, i) => ({
          fold: f.fold ?? i,
          valid_accuracy: f.last?.valid_accuracy ?? NaN,
          ...(f.tta ? { tta_accuracy: f.tta.accuracy } : {}),
        }))
      : null,
    folds_mean: stats?.mean ?? null,
    folds_std: stats?.std ?? null,
    ...(ttaStats ? { folds_tta_mean: ttaStats.mean, folds_tta_std: ttaStats.std } : {}),
    seconds,
  };
}

/** Writes the `k` worst validation images of the last epoch as thumbnails plus an index file. */
export async function writeTopLosses(runDir: string, result: FoldResult, k = 9): Promise<TopLoss[]> {
  const last = result.last;
  if (!last || last.validIndices.length === 0) return [];
  const { eval: ev, validIndices } = last;
  const data = result.data;
  const dir = join(runDir, RUN_FILES.topLosses);
  mkdirSync(dir, { recursive: true });
  const picks = topLossIndices(ev.losses, k);
  const items = picks.map((p) => validIndices[p]!);
  const pixels = await data.pixels(items, THUMB);
  const nc = data.classes.length;
  const rows: TopLoss[] = [];
  for (const [rank, p] of picks.entries()) {
    const item = items[rank]!;
    const name = `${String(rank + 1).padStart(2, "0")}.png`;
    const raw = pixels.subarray(rank * THUMB * THUMB * 3, (rank + 1) * THUMB * THUMB * 3);
    await sharp(Buffer.from(raw), { raw: { width: THUMB, height: THUMB, channels: 3 } })
      .png()
      .toFile(join(dir, name));
    const predicted = ev.predicted[p]!;
    rows.push({
      key: data.keys[item]!,
      file: data.files?.[item] ?? null,
      actual: data.classes[data.labels[item]!]!,
      predicted: data.classes[predicted]!,
      loss: ev.losses[p]!,
      probability: ev.probs[p * nc + predicted]!,
      image: `${RUN_FILES.topLosses}/${name}`,
    });
  }
  writeFileSync(join(runDir, RUN_FILES.topLossesIndex), `${JSON.stringify(rows, null, 2)}\n`);
  return rows;
}

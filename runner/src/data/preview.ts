/**
 * `tessera data preview`: a PNG grid of augmented training samples with their labels, so a user
 * sees what the network sees (augmentation strength, resize mode, stain jitter) before training.
 */
import type { ResolvedConfig } from "@tessera/shared";
import * as tf from "../tf";
import { augmentBatch } from "./augment";
import { loadImages } from "./images";
import type { LoadedDataset } from "./load";
import { rngFor, shuffleInPlace } from "./rng";

export interface PreviewOptions {
  /** Number of samples. @default 32 */
  count: number;
  /** Tile size in pixels (a stage's `size`). */
  size: number;
  /** Seed of the sample choice and the augmentation. */
  seed: number;
}

/** Picks `count` training items, round-robin over classes so every class shows. */
export function pickSamples(dataset: LoadedDataset, count: number, seed: number): number[] {
  const train = dataset.folds[0]?.train ?? [];
  const rng = rngFor(seed, "preview");
  const byClass = dataset.classes.map((_, c) =>
    shuffleInPlace(
      train.filter((i) => dataset.items[i]!.label === c),
      rng,
    ),
  );
  const out: number[] = [];
  for (let round = 0; out.length < Math.min(count, train.length); round++) {
    for (const members of byClass) if (round < members.length && out.length < count) out.push(members[round]!);
  }
  return out;
}

/** Renders the grid; returns PNG bytes. */
export async function renderPreview(
  config: ResolvedConfig,
  dataset: LoadedDataset,
  opts: PreviewOptions,
): Promise<Buffer> {
  const indices = pickSamples(dataset, opts.count, opts.seed);
  const { size } = opts;
  const pixels = await loadImages(dataset, indices, size, config.data.resize);
  const augmented = tf.tidy(() =>
    augmentBatch(tf.tensor4d(pixels, [indices.length, size, size, 3], "float32"), config.data.augment, opts.seed),
  );
  const rgb = await augmented.data();
  augmented.dispose();

  // Imported here: loading Skia costs ~0.4 s, and every `tessera run` imports this module.
  const { createCanvas } = await import("@napi-rs/canvas");
  const cell = Math.max(size, 96);
  const label = 16;
  const cols = Math.min(8, Math.max(1, Math.ceil(Math.sqrt(indices.length * 1.5))));
  const rows = Math.ceil(indices.length / cols);
  const canvas = createCanvas(cols * (cell + 4) + 4, rows * (cell + label + 4) + 4);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#202020";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const tileCanvas = createCanvas(size, size);
  const tileCtx = tileCanvas.getContext("2d");
  indices.forEach((item, n) => {
    const img = tileCtx.createImageData(size, size);
    for (let p = 0; p < size * size; p++) {
      for (let ch = 0; ch < 3; ch++) img.data[p * 4 + ch] = rgb[(n * size * size + p) * 3 + ch]!;
      img.data[p * 4 + 3] = 255;
    }
    tileCtx.putImageData(img, 0, 0);
    const x = 4 + (n % cols) * (cell + 4);
    const y = 4 + Math.floor(n / cols) * (cell + label + 4);
    ctx.drawImage(tileCanvas, x, y, cell, cell);
    ctx.fillStyle = "#f0f0f0";
    ctx.font = "12px sans-serif";
    ctx.fillText(dataset.classes[dataset.items[item]!.label]!, x + 2, y + cell + 12, cell - 4);
  });
  return canvas.toBuffer("image/png");
}

import { writeFile } from "node:fs/promises";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import type { ResolvedConfig, ResolvedData } from "@tessera/shared";
import { loadDataset } from "./load";
import { pickSamples, renderPreview } from "./preview";

const data: ResolvedData = {
  source: "synthetic",
  classes: 6,
  per_class: 20,
  image_size: 64,
  split: { protocol: "holdout", valid: 0.2, k: 5, folds: null, stratify: true, seed: 1 },
  resize: "squish",
  normalize: "auto",
  augment: { dihedral: true, crop: { scale: [0.5, 1] }, brightness: 0.1, contrast: 0.1, stain_jitter: 0.1 },
  on_bad_image: "error",
};
const config = { data, seed: 1 } as unknown as ResolvedConfig;

describe("data preview", () => {
  it("picks samples round-robin over classes from the training fold", async () => {
    const ds = await loadDataset(data, { seed: 1, baseDir: ".", cacheDir: false });
    const picked = pickSamples(ds, 12, 1);
    expect(new Set(picked.map((i) => ds.items[i]!.label)).size).toBe(6);
    expect(picked.every((i) => ds.folds[0]!.train.includes(i))).toBe(true);
  });

  it("writes a PNG grid with one cell per sample", async () => {
    const ds = await loadDataset(data, { seed: 1, baseDir: ".", cacheDir: false });
    const png = await renderPreview(config, ds, { count: 16, size: 64, seed: 1 });
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe("png");
    // 16 samples -> 5 columns of (96 + 4) px, 4 rows of (96 + 16 + 4) px
    expect(meta.width).toBe(5 * 100 + 4);
    expect(meta.height).toBe(4 * 116 + 4);
    if (process.env.TESSERA_PREVIEW_OUT) await writeFile(process.env.TESSERA_PREVIEW_OUT, png);
  });
});

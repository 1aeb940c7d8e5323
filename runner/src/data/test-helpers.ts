/** Shared by the folder and CSV source tests: configs and image files made with sharp. */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import type { ResolvedData } from "@tessera/shared";

export const common = {
  split: { protocol: "holdout", valid: 0.5, k: 2, folds: null, stratify: true, seed: 1 },
  resize: "squish",
  normalize: "auto",
  augment: { dihedral: false, crop: null, brightness: 0, contrast: 0, stain_jitter: 0 },
  on_bad_image: "error",
} as const;

/** A folder data config over `path`, with overrides. */
export const folderData = (path: string, over: Partial<ResolvedData> = {}): ResolvedData =>
  ({ ...common, source: "folder", path, label: { from: "folder" }, ...over }) as ResolvedData;

/** A CSV data config over `path`, with overrides. */
export const csvData = (path: string, over: Partial<ResolvedData> = {}): ResolvedData =>
  ({ ...common, source: "csv", path, columns: { file: "file", label: "label", split: null }, ...over }) as ResolvedData;

/** A 12x8 image of one colour (distinct per `shade` so contents differ), in a format. */
export async function writeImage(
  file: string,
  shade: number,
  format: "png" | "jpeg" | "webp" | "tiff",
  channels: 1 | 3 | 4 = 3,
): Promise<void> {
  await mkdir(join(file, ".."), { recursive: true });
  const background = channels === 1 ? { r: shade, g: shade, b: shade } : { r: shade, g: 100, b: 200, alpha: 1 };
  let img = sharp({ create: { width: 12, height: 8, channels: channels === 1 ? 3 : channels, background } });
  if (channels === 1) img = img.greyscale();
  await img.toFormat(format).toFile(file);
}

/** `good/`: two classes, every format and channel layout, and one non-image file. */
export async function writeGoodSet(dir: string): Promise<void> {
  await writeImage(join(dir, "good/cat/a.png"), 10, "png");
  await writeImage(join(dir, "good/cat/b.jpg"), 20, "jpeg");
  await writeImage(join(dir, "good/cat/c.webp"), 30, "webp");
  await writeImage(join(dir, "good/cat/d.tif"), 40, "tiff");
  await writeImage(join(dir, "good/dog/e.png"), 50, "png", 1);
  await writeImage(join(dir, "good/dog/f.png"), 60, "png", 4);
  await writeImage(join(dir, "good/dog/g.tiff"), 70, "tiff", 1);
  await sharp({ create: { width: 8, height: 8, channels: 3, background: "#808080" } })
    .png({ palette: false })
    .toColourspace("rgb16")
    .toFile(join(dir, "good/dog/h16.png"));
  await writeFile(join(dir, "good/dog/scan.bmp"), "BM not really");
}

/**
 * `loadDataset`: list files (or synthetic ids), read and hash every image, check that it is one,
 * label, split, and hash the result. Pixels are decoded later, per stage size, by `loadImages`.
 */
import { resolve } from "node:path";
import type { ResolvedData } from "@tessera/shared";
import { DataError } from "../errors";
import { defaultCacheDir } from "./cache";
import { checkImages } from "./check";
import { splitAndHash } from "./record";
import { listCsv } from "./sources/csv";
import { listFolder } from "./sources/folder";
import type { Listing } from "./sources/listing";
import { syntheticDataset } from "./sources/synthetic";
import { displayPath } from "./sources/walk";
import type { DataItem, Dataset, SkippedFile } from "./types";

export interface LoadOptions {
  /** The experiment seed (synthetic images; the split uses `data.split.seed`). */
  seed: number;
  /** Folder relative data paths are resolved against: the config file's folder. */
  baseDir: string;
  /** Cache root (tiles go to `<cacheDir>/images`); `false` turns the disk cache off. @default defaultCacheDir() */
  cacheDir?: string | false;
  /** Called as images are read and checked. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Receives each warning and each file skipped under `on_bad_image: skip` (at most 20 lines, then
   * a count). @default a line on stderr each
   */
  onWarning?: (message: string) => void;
}

const MAX_REPORTED = 20;

/** Tells the user about warnings and skipped files, without flooding the terminal. */
function report(dataset: Dataset, onWarning: (message: string) => void): void {
  const lines = [
    ...dataset.warnings.map((w) => `warning: ${w}`),
    ...dataset.skipped.map((s) => `skipped (on_bad_image: skip): ${s.reason}`),
  ];
  for (const line of lines.slice(0, MAX_REPORTED)) onWarning(line);
  if (lines.length > MAX_REPORTED) onWarning(`... and ${lines.length - MAX_REPORTED} more data warnings`);
}

/** A dataset plus where its decoded tiles are cached (what `loadImages` needs). */
export type LoadedDataset = Dataset & {
  cacheDir: string | null;
  /** What `loadImages` does with a file that no longer decodes (changed since the check). @default "error" */
  onBadImage?: "error" | "skip";
};

/** Lists, reads, checks, labels and splits the data a config describes. Throws DataError naming the file. */
export async function loadDataset(data: ResolvedData, opts: LoadOptions): Promise<LoadedDataset> {
  const cacheDir = opts.cacheDir === false ? null : (opts.cacheDir ?? defaultCacheDir());
  const onWarning = opts.onWarning ?? ((message: string) => process.stderr.write(`tessera: ${message}\n`));
  if (data.source === "synthetic") {
    return { ...syntheticDataset(data, opts.seed), cacheDir };
  }
  const predefined = data.split.protocol === "predefined";
  const path = resolve(opts.baseDir, data.path);
  const listing: Listing =
    data.source === "folder"
      ? await listFolder({ root: path, label: data.label, predefined, onBadImage: data.on_bad_image })
      : await listCsv({ csv: path, columns: data.columns, predefined, onBadImage: data.on_bad_image });
  const { good: checkedGood, bad } = await checkImages(listing.files, {
    cacheDir,
    root: path,
    onBadImage: data.on_bad_image,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  const skipped: SkippedFile[] = [...listing.skipped, ...bad];
  const good = [...checkedGood].sort((a, b) => (a.file.key < b.file.key ? -1 : 1));
  if (good.length === 0) throw new DataError(`${displayPath(path)}: no readable images`);

  const classes = [...new Set(good.map((g) => g.file.label))].sort();
  if (classes.length < 2)
    throw new DataError(`${displayPath(path)}: found one class ('${classes[0]}'); need at least 2`);
  const index = new Map(classes.map((c, i) => [c, i]));
  const items: DataItem[] = good.map((g) => ({
    key: g.file.key,
    file: g.file.file,
    label: index.get(g.file.label)!,
    hash: g.hash,
  }));
  const warnings = [...listing.warnings, ...good.flatMap((g) => g.warnings), ...duplicateWarnings(items, classes)];
  const dataset: LoadedDataset = {
    classes,
    items,
    ...splitAndHash(classes, items, data.split, predefined ? good.map((g) => g.file.split) : null),
    skipped,
    warnings,
    synthetic: null,
    cacheDir,
    onBadImage: data.on_bad_image,
  };
  report(dataset, onWarning);
  return dataset;
}

/** The same bytes under two classes is a labelling error worth a warning (same class: a copy). */
function duplicateWarnings(items: DataItem[], classes: string[]): string[] {
  const byHash = new Map<string, DataItem[]>();
  for (const it of items) byHash.set(it.hash, [...(byHash.get(it.hash) ?? []), it]);
  const out: string[] = [];
  for (const group of byHash.values()) {
    if (group.length < 2) continue;
    const labels = new Set(group.map((g) => g.label));
    const names = group.map((g) => `${g.key} (${classes[g.label]})`).join(", ");
    out.push(labels.size > 1 ? `identical images in different classes: ${names}` : `identical images: ${names}`);
  }
  return out;
}

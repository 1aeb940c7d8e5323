/**
 * `loadDataset`: list files (or synthetic ids), read and hash every image, check that it is one,
 * label, split, and hash the result. Pixels are decoded later, per stage size, by `loadImages`.
 */
import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { extname, resolve } from "node:path";
import sharp from "sharp";
import type { ResolvedData } from "@tessera/shared";
import { DataError } from "../errors";
import { defaultCacheDir } from "./cache";
import { readImageBytes } from "./decode";
import { FileIndex } from "./fileindex";
import { decodeConcurrency, mapLimit } from "./pool";
import { splitAndHash } from "./record";
import { listCsv } from "./sources/csv";
import { listFolder } from "./sources/folder";
import { FORMAT_OF_EXTENSION, type ListedFile, type Listing } from "./sources/listing";
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
export type LoadedDataset = Dataset & { cacheDir: string | null };

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
  const hashIndex = await FileIndex.load(cacheDir, path);
  const checked = await mapLimit(listing.files, decodeConcurrency(), (f) => checkImage(f, hashIndex), opts.onProgress);
  await hashIndex.save();
  const skipped: SkippedFile[] = [...listing.skipped];
  const bad = checked.filter((c): c is { file: ListedFile; error: string } => "error" in c);
  if (bad.length > 0 && data.on_bad_image === "error") {
    const lines = bad.slice(0, 10).map((b) => `  ${b.error}`);
    if (bad.length > 10) lines.push(`  ... and ${bad.length - 10} more`);
    throw new DataError(
      `data: ${bad.length} unreadable image(s) (set data.on_bad_image: skip to leave them out):\n${lines.join("\n")}`,
    );
  }
  for (const b of bad) skipped.push({ file: b.file.file, reason: b.error });
  const good = checked.filter((c): c is Checked => "hash" in c).sort((a, b) => (a.file.key < b.file.key ? -1 : 1));
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
  };
  report(dataset, onWarning);
  return dataset;
}

interface Checked {
  file: ListedFile;
  hash: string;
  warnings: string[];
}

/**
 * Reads a file, hashes it, and asks libvips for its header: corrupt or empty files fail here. A
 * file the index knows (same size and mtime) is only stat'ed.
 */
async function checkImage(file: ListedFile, index: FileIndex): Promise<Checked | { file: ListedFile; error: string }> {
  const where = displayPath(file.file);
  const info = await stat(file.file).catch(() => null);
  const known = info ? index.get(file.file, info.size, info.mtimeMs) : null;
  if (known) return { file, hash: known.hash, warnings: formatWarnings(file, known.format) };
  let bytes: Buffer;
  try {
    bytes = await readImageBytes(file.file);
  } catch (error) {
    return { file, error: (error as Error).message };
  }
  let format: string;
  try {
    const meta = await sharp(bytes).metadata();
    if (!meta.width || !meta.height) throw new Error("no width/height in the header");
    format = meta.format ?? "unknown";
  } catch (error) {
    return { file, error: `${where}: not a readable image (${(error as Error).message})` };
  }
  const hash = createHash("sha256").update(bytes).digest("hex");
  if (info) index.set(file.file, { size: info.size, mtimeMs: info.mtimeMs, hash, format });
  return { file, hash, warnings: formatWarnings(file, format) };
}

function formatWarnings(file: ListedFile, format: string): string[] {
  const expected = FORMAT_OF_EXTENSION[extname(file.file).toLowerCase()];
  return expected && format !== "unknown" && format !== expected
    ? [`${displayPath(file.file)}: the extension says ${expected} but the content is ${format}`]
    : [];
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

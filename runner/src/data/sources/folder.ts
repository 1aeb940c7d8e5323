/**
 * `source: folder`: one sub-folder per class, or every image below the folder labelled by a
 * pattern over its file name (Kimia's `A12.tif` -> `A`). With `split.protocol: predefined` the
 * folder holds `train/` and `valid/`, each laid out the same way.
 */
import { basename, join } from "node:path";
import { ConfigError, DataError } from "../../errors";
import type { Listing } from "./listing";
import { displayPath, requireDir, subdirs, toKey, walkImages } from "./walk";

export type FolderLabel = { from: "folder" } | { from: "filename"; pattern: string };

export interface FolderOptions {
  root: string;
  label: FolderLabel;
  predefined: boolean;
  onBadImage: "error" | "skip";
}

const SPLIT_DIRS = { train: ["train", "training"], valid: ["valid", "val", "validation"] } as const;

/** Lists and labels the images of a folder data set (nothing is read yet). */
export async function listFolder(opts: FolderOptions): Promise<Listing> {
  await requireDir(opts.root, "data folder (data.path)");
  const listing: Listing = { files: [], skipped: [], warnings: [] };
  if (!opts.predefined) {
    await listTree(opts, opts.root, null, listing);
  } else {
    const present = await subdirs(opts.root);
    for (const split of ["train", "valid"] as const) {
      const dir = SPLIT_DIRS[split].find((d) => present.includes(d));
      if (!dir) {
        throw new DataError(
          `${displayPath(opts.root)}: split.protocol 'predefined' needs a '${split}/' folder here, found ${present.length ? present.map((d) => `'${d}/'`).join(", ") : "none"}`,
        );
      }
      await listTree(opts, join(opts.root, dir), split, listing);
    }
  }
  if (listing.files.length === 0) {
    throw new DataError(
      `${displayPath(opts.root)}: no images found (looked for .tif .tiff .png .jpg .jpeg .webp${opts.label.from === "folder" ? " in one sub-folder per class" : ""})`,
    );
  }
  return listing;
}

async function listTree(opts: FolderOptions, dir: string, split: "train" | "valid" | null, out: Listing) {
  if (opts.label.from === "filename") {
    const pattern = compilePattern(opts.label.pattern);
    const { images, others } = await walkImages(dir, false, opts.root);
    for (const o of others) out.warnings.push(`${displayPath(o)}: not an image extension, ignored`);
    for (const file of images) {
      const m = pattern.exec(basename(file));
      const label = m ? (m[1] ?? m[0]) : undefined;
      if (!label) {
        const reason = `file name does not match data.label.pattern ${opts.label.pattern}`;
        if (opts.onBadImage === "error") throw new DataError(`${displayPath(file)}: ${reason}`);
        out.skipped.push({ file, reason });
        continue;
      }
      out.files.push({ key: toKey(opts.root, file), file, label, split });
    }
    return;
  }
  const top = await walkImages(dir, true);
  for (const f of top.images) out.warnings.push(`${displayPath(f)}: image outside any class folder, ignored`);
  const classes = await subdirs(dir);
  if (classes.length === 0) throw new DataError(`${displayPath(dir)}: no class sub-folders (one folder per class)`);
  for (const cls of classes) {
    const { images, others } = await walkImages(join(dir, cls), false, opts.root);
    for (const o of others) out.warnings.push(`${displayPath(o)}: not an image extension, ignored`);
    if (images.length === 0) throw new DataError(`${displayPath(join(dir, cls))}: class folder '${cls}' has no images`);
    for (const file of images) out.files.push({ key: toKey(opts.root, file), file, label: cls, split });
  }
}

function compilePattern(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (error) {
    throw new ConfigError(
      `data.label.pattern: not a valid regular expression '${source}': ${(error as Error).message}`,
    );
  }
}

/** What every file source (folder, csv) returns before images are read. */
import type { SkippedFile } from "../types";

/** Extensions the pipeline decodes (sharp/libvips); anything else in a data folder is ignored. */
export const IMAGE_EXTENSIONS = new Set([".tif", ".tiff", ".png", ".jpg", ".jpeg", ".webp"]);

/** sharp's `metadata().format` for each extension, to warn when a file's content disagrees. */
export const FORMAT_OF_EXTENSION: Record<string, string> = {
  ".tif": "tiff",
  ".tiff": "tiff",
  ".png": "png",
  ".jpg": "jpeg",
  ".jpeg": "jpeg",
  ".webp": "webp",
};

/** One image file with its label name and, where the data says so, its predefined split. */
export interface ListedFile {
  /** Path relative to the data root, with `/` separators. */
  key: string;
  /** Absolute path. */
  file: string;
  label: string;
  split: "train" | "valid" | null;
}

export interface Listing {
  files: ListedFile[];
  /** Files left out while listing (pattern mismatch under `skip`, ...). */
  skipped: SkippedFile[];
  warnings: string[];
}

/** Files that are never data and never worth a warning. */
export const isIgnorable = (name: string): boolean =>
  name.startsWith(".") || /\.(md|txt|json|ya?ml|csv|html?)$/i.test(name) || name === "Thumbs.db";

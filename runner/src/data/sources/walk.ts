/** Directory walking and path display shared by the file sources. */
import { readdir, stat } from "node:fs/promises";
import { extname, isAbsolute, join, relative, sep } from "node:path";
import { DataError } from "../../errors";
import { IMAGE_EXTENSIONS, isIgnorable } from "./listing";

/** A path as the user should read it in a message: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : file;
}

/** `a\b` -> `a/b`, so keys and hashes are the same on every OS. */
export const toKey = (root: string, file: string): string => relative(root, file).split(sep).join("/");

/** Fails with a DataError unless `dir` is an existing directory. */
export async function requireDir(dir: string, what: string): Promise<void> {
  const info = await stat(dir).catch(() => null);
  if (!info) throw new DataError(`${displayPath(dir)}: ${what} not found`);
  if (!info.isDirectory()) throw new DataError(`${displayPath(dir)}: ${what} is not a folder`);
}

/** Sorted sub-folder names of `dir` (hidden ones left out). */
export async function subdirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort();
}

export interface WalkResult {
  /** Absolute paths of image files, sorted. */
  images: string[];
  /** Files with an extension the pipeline does not read (not counting README/CSV/hidden files). */
  others: string[];
}

/** Every image file below `dir`, recursively, in a stable (sorted) order. */
export async function walkImages(dir: string, topLevelOnly = false): Promise<WalkResult> {
  const out: WalkResult = { images: [], others: [] };
  const visit = async (d: string): Promise<void> => {
    const entries = (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const full = join(d, e.name);
      if (e.isDirectory()) {
        if (!topLevelOnly && !e.name.startsWith(".")) await visit(full);
      } else if (IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase())) {
        out.images.push(full);
      } else if (!isIgnorable(e.name)) {
        out.others.push(full);
      }
    }
  };
  await visit(dir);
  return out;
}

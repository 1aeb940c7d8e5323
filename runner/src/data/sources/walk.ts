/** Directory walking and path display shared by the file sources. */
import { readdir, realpath, stat } from "node:fs/promises";
import type { Dirent } from "node:fs";
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
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (!e.name.startsWith(".") && (await kindOf(dir, e)) === "dir") out.push(e.name);
  }
  return out.sort();
}

/** What an entry is, following symbolic links (data folders are often links to a big disk). */
async function kindOf(dir: string, e: Dirent): Promise<"dir" | "file" | "other"> {
  if (e.isDirectory()) return "dir";
  if (e.isFile()) return "file";
  if (!e.isSymbolicLink()) return "other";
  const target = await stat(join(dir, e.name)).catch(() => null);
  return target?.isDirectory() ? "dir" : target?.isFile() ? "file" : "other";
}

export interface WalkResult {
  /** Absolute paths of image files, sorted. */
  images: string[];
  /** Files with an extension the pipeline does not read (not counting README/CSV/hidden files). */
  others: string[];
}

/**
 * Every image file below `dir`, recursively, in a stable (sorted) order. Linked folders are
 * followed, except one that leads back to `root` or above it (a loop), and each real folder is
 * visited once.
 */
export async function walkImages(dir: string, topLevelOnly = false, root = dir): Promise<WalkResult> {
  const out: WalkResult = { images: [], others: [] };
  const seen = new Set<string>();
  const realRoot = await realpath(root);
  const visit = async (d: string): Promise<void> => {
    const real = await realpath(d);
    const leadsUp = d !== root && (realRoot === real || realRoot.startsWith(real + sep));
    if (seen.has(real) || leadsUp) return;
    seen.add(real);
    const entries = (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const full = join(d, e.name);
      const kind = await kindOf(d, e);
      if (kind === "dir") {
        if (!topLevelOnly && !e.name.startsWith(".")) await visit(full);
      } else if (kind !== "file") {
        continue;
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

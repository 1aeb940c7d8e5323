/**
 * The start-up image check: read, hash and fully decode every listed file, so a truncated or
 * corrupt image is found before training (a header-only check let a cut JPEG through, and the
 * run died at its first decode in epoch 2). A file the index knows (same size and mtime) was
 * decoded by an earlier check and is only stat'ed, so the full decode is paid once per file.
 */
import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { extname } from "node:path";
import sharp from "sharp";
import { DataError } from "../errors";
import { readImageBytes } from "./decode";
import { FileIndex } from "./fileindex";
import { decodeConcurrency, mapLimit } from "./pool";
import { FORMAT_OF_EXTENSION, type ListedFile } from "./sources/listing";
import { displayPath } from "./sources/walk";
import type { SkippedFile } from "./types";

/** A file that passed the check. */
export interface CheckedImage {
  file: ListedFile;
  hash: string;
  warnings: string[];
}

/**
 * Checks every file; under `onBadImage: "error"` any bad one throws a DataError listing them,
 * under `"skip"` they come back in `bad` with the reason.
 */
export async function checkImages(
  files: readonly ListedFile[],
  opts: {
    cacheDir: string | null;
    /** The data root the hash index is kept for. */
    root: string;
    onBadImage: "error" | "skip";
    onProgress?: (done: number, total: number) => void;
  },
): Promise<{ good: CheckedImage[]; bad: SkippedFile[] }> {
  const index = await FileIndex.load(opts.cacheDir, opts.root);
  const checked = await mapLimit(files, decodeConcurrency(), (f) => checkImage(f, index), opts.onProgress);
  await index.save();
  const bad = checked.filter((c): c is { file: ListedFile; error: string } => "error" in c);
  if (bad.length > 0 && opts.onBadImage === "error") {
    const lines = bad.slice(0, 10).map((b) => `  ${b.error}`);
    if (bad.length > 10) lines.push(`  ... and ${bad.length - 10} more`);
    throw new DataError(
      `data: ${bad.length} unreadable image(s) (set data.on_bad_image: skip to leave them out):\n${lines.join("\n")}`,
    );
  }
  return {
    good: checked.filter((c): c is CheckedImage => "hash" in c),
    bad: bad.map((b) => ({ file: b.file.file, reason: b.error })),
  };
}

async function checkImage(
  file: ListedFile,
  index: FileIndex,
): Promise<CheckedImage | { file: ListedFile; error: string }> {
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
    // The same strictness as the decoder the run uses (decode.ts): a cut file fails here, not mid-run.
    await sharp(bytes, { failOn: "truncated" }).raw().toBuffer();
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

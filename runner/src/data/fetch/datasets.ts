/**
 * `tessera data fetch <name>`: known public data sets, where they come from, and what to do when
 * the source needs a person (a licence form) rather than a plain download.
 */
import { execFile } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { promisify } from "node:util";
import { DataError, UsageError } from "../../errors";
import { displayPath, walkImages } from "../sources/walk";
import { download, parseChecksumUrl, type DownloadResult } from "./download";

const run = promisify(execFile);

export interface KnownDataset {
  title: string;
  /** Default destination, relative to the working directory. */
  defaultDir: string;
  /** File-name pattern of the images, to count what is there. */
  pattern: RegExp;
  /** Images in the full set. */
  expected: number;
  /** A direct archive URL with its sha256, when the source has one; `null` when it needs a manual step. */
  archive: { url: string; sha256: string } | null;
  /** What a person must do to get the files, with `{dir}` for the destination. */
  manual: string;
}

/** Explicit map of the data sets this command knows. */
export const DATASETS = {
  kimia960: {
    title: "Kimia Path960 (960 H&E/IHC patches, 308x168 px, 20 classes A..T)",
    defaultDir: "data/kimia960",
    pattern: /^[A-T]\d+\.tif$/,
    expected: 960,
    archive: null,
    manual: [
      "Kimia Path960 is distributed by the KIMIA Lab (University of Waterloo) from its web site, behind",
      "a download page that asks you to accept its terms, so it cannot be fetched without you:",
      "",
      "  1. Open the KIMIA Lab's data page (search the web for \"Kimia Path960 KIMIA Lab\"; the lab's site",
      "     is kimialab.uwaterloo.ca) and download the Kimia Path960 archive (a zip of A1.tif .. T48.tif).",
      "  2. Either unpack it so the .tif files are inside {dir} (any sub-folders are fine):",
      "       mkdir -p {dir} && unzip <downloaded.zip> -d {dir}",
      "     or, if you have a direct link to the archive (a mirror), let tessera download, check and unpack it:",
      "       tessera data fetch kimia960 --to {dir} --url 'https://.../KimiaPath960.zip#sha256=<hex>'",
      "  3. Point the config at it: data.path in configs/kimia960-*.yaml is relative to the configs/ folder,",
      "     or override it:  tessera run configs/kimia960-resnet50.yaml --set data.path={abs}",
      "  4. Check:  tessera data fetch kimia960 --to {dir}   (counts the images it finds there)",
      "",
      'Cite: Kumar, Babaie, Zhu, Kalra, Tizhoosh, "A Comparative Study of CNN, BoVW and LBP for',
      'Classification of Histopathological Images", IEEE SSCI 2017. Research use only.',
    ].join("\n"),
  },
} satisfies Record<string, KnownDataset>;

export type DatasetName = keyof typeof DATASETS;

export interface FetchOptions {
  to?: string;
  url?: string;
  onProgress?: (done: number, total: number | null) => void;
}

export type FetchOutcome =
  | { status: "present"; dir: string; images: number; expected: number }
  | { status: "downloaded"; dir: string; images: number; expected: number; download: DownloadResult }
  | { status: "manual"; dir: string; images: number; expected: number; instructions: string };

/** Downloads and unpacks a data set, or says what a person must do; counts the images either way. */
export async function fetchDataset(name: string, opts: FetchOptions = {}): Promise<FetchOutcome> {
  const known = (DATASETS as Record<string, KnownDataset>)[name];
  if (!known)
    throw new UsageError(`tessera data fetch: unknown data set '${name}'; known: ${Object.keys(DATASETS).join(", ")}`);
  const dir = resolve(opts.to ?? known.defaultDir);
  const source = opts.url ? parseChecksumUrl(opts.url) : known.archive;
  if (!source) {
    const images = await countImages(dir, known.pattern);
    if (images > 0) return { status: "present", dir, images, expected: known.expected };
    return {
      status: "manual",
      dir,
      images,
      expected: known.expected,
      instructions: known.manual.replaceAll("{dir}", displayPath(dir)).replaceAll("{abs}", dir),
    };
  }
  const archiveName = basename(new URL(source.url).pathname) || `${name}.download`;
  const staging = join(dir, ".download");
  const result = await download({
    url: source.url,
    dest: join(staging, archiveName),
    sha256: source.sha256,
    onProgress: opts.onProgress,
  });
  await unpack(result.file, dir);
  await rm(staging, { recursive: true, force: true });
  const images = await countImages(dir, known.pattern);
  if (images === 0) throw new DataError(`${displayPath(dir)}: the download held no files named like ${known.pattern}`);
  return { status: "downloaded", dir, images, expected: known.expected, download: result };
}

/** Unpacks a .zip / .tar(.gz) with the system's unzip or tar (libarchive-grade tools beat a JS port). */
async function unpack(file: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const lower = file.toLowerCase();
  const [cmd, args] = lower.endsWith(".zip")
    ? ["unzip", ["-o", "-q", file, "-d", dir]]
    : /\.(tar|tar\.gz|tgz)$/.test(lower)
      ? ["tar", ["-xf", file, "-C", dir]]
      : [null, []];
  if (!cmd) {
    // A single image or unknown archive: leave it next to the others.
    const { rename } = await import("node:fs/promises");
    await rename(file, join(dir, basename(file)));
    return;
  }
  try {
    await run(cmd, args as string[]);
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT")
      throw new DataError(
        `${displayPath(file)}: needs '${cmd}' to unpack; install it or unpack by hand into ${displayPath(dir)}`,
      );
    throw new DataError(`${displayPath(file)}: could not unpack (${(e.stderr ?? e.message).trim()})`);
  }
}

async function countImages(dir: string, pattern: RegExp): Promise<number> {
  const found = await walkImages(dir).catch(() => ({ images: [] as string[] }));
  return found.images.filter((f) => pattern.test(basename(f))).length;
}

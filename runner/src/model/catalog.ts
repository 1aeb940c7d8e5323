/** What `tessera weights ls` shows: every backbone's ImageNet source and what the cache holds. */
import { existsSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { BACKBONES, type BackboneName } from "@tessera/shared";
import { SOURCE_FILE } from "./fetch";
import { IMAGENET_SOURCES, imagenetDir, weightsCacheDir } from "./sources";

/** One row of the catalog. */
export interface WeightsEntry {
  /** A backbone (`imagenet` weights) or `url` for a downloaded `pretrained: <URL>`. */
  name: BackboneName | "url";
  /** `npm`, `keras-h5` (convert once), `url`, or `none` (no source known). */
  kind: "npm" | "keras-h5" | "url" | "none";
  /** npm spec or URL. */
  source: string | null;
  /** sha512 integrity (npm) or md5 (Keras h5). */
  checksum: string | null;
  cached: boolean;
  dir: string;
  bytes: number | null;
}

async function folderBytes(dir: string): Promise<number | null> {
  if (!existsSync(dir)) return null;
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(path.join(dir, name))).size;
  return total;
}

/** The ImageNet sources per backbone plus the downloaded URL models, with their cache state. */
export async function listWeights(cacheDir?: string): Promise<WeightsEntry[]> {
  const rows: WeightsEntry[] = [];
  for (const backbone of BACKBONES) {
    const source = IMAGENET_SOURCES[backbone];
    const dir = imagenetDir(backbone, cacheDir);
    const cached = existsSync(path.join(dir, "model.json"));
    rows.push({
      name: backbone,
      kind: source?.kind ?? "none",
      source: source === null ? null : source.kind === "npm" ? source.spec : source.url,
      checksum: source === null ? null : source.kind === "npm" ? source.integrity : `md5:${source.md5}`,
      cached,
      dir,
      bytes: cached ? await folderBytes(dir) : null,
    });
  }
  const root = weightsCacheDir(cacheDir);
  const entries = existsSync(root) ? await readdir(root) : [];
  for (const name of entries.filter((n) => n.startsWith("url-")).sort()) {
    const dir = path.join(root, name);
    const meta = await readFile(path.join(dir, SOURCE_FILE), "utf8").then(
      (t) => JSON.parse(t) as { url?: string },
      () => null,
    );
    rows.push({
      name: "url",
      kind: "url",
      source: meta?.url ?? null,
      checksum: null,
      cached: meta !== null,
      dir,
      bytes: await folderBytes(dir),
    });
  }
  return rows;
}

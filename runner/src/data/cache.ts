/**
 * The decoded-image cache: raw RGB tiles on disk keyed by (content hash, size, resize mode), so a
 * second run and every later epoch never decode again, plus a byte-bounded in-memory LRU on top.
 */
import { mkdir, readFile, rename, rm, writeFile, readdir, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type { ResizeMode } from "./types";

/** `${TESSERA_CACHE_DIR:-~/.cache/tessera}`; decoded tiles live in its `images/` folder. */
export function defaultCacheDir(): string {
  return process.env.TESSERA_CACHE_DIR || join(homedir(), ".cache", "tessera");
}

/** Bytes the in-memory LRU may hold: env TESSERA_IMAGE_MEMORY_MB, @default 1024 MB. */
export function memoryBudget(): number {
  const mb = Number(process.env.TESSERA_IMAGE_MEMORY_MB);
  return (Number.isFinite(mb) && mb >= 0 ? mb : 1024) * 1024 * 1024;
}

/** A byte-bounded LRU of tiles (Map keeps insertion order: re-inserting on hit marks it recent). */
export class TileLru {
  private readonly map = new Map<string, Uint8Array>();
  private bytes = 0;
  constructor(private readonly budget: number) {}

  get(key: string): Uint8Array | undefined {
    const hit = this.map.get(key);
    if (hit) {
      this.map.delete(key);
      this.map.set(key, hit);
    }
    return hit;
  }

  set(key: string, tile: Uint8Array): void {
    if (tile.byteLength > this.budget) return;
    const old = this.map.get(key);
    if (old) this.bytes -= old.byteLength;
    this.map.delete(key);
    this.map.set(key, tile);
    this.bytes += tile.byteLength;
    for (const [k, v] of this.map) {
      if (this.bytes <= this.budget) break;
      this.map.delete(k);
      this.bytes -= v.byteLength;
    }
  }

  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }

  get size(): number {
    return this.bytes;
  }
}

/** The process-wide LRU shared by every dataset. */
export const memoryCache = new TileLru(memoryBudget());

export const tileKey = (hash: string, size: number, resize: ResizeMode): string => `${hash}-${size}-${resize}`;

const tilePath = (cacheDir: string, key: string) => join(cacheDir, "images", key.slice(0, 2), `${key}.rgb`);

/** A tile from disk, or null when absent or of the wrong length (a torn write). */
export async function readTile(cacheDir: string, key: string, length: number): Promise<Uint8Array | null> {
  const buf = await readFile(tilePath(cacheDir, key)).catch(() => null);
  if (!buf || buf.byteLength !== length) return null;
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Writes a tile atomically (temp file + rename), so a killed process never leaves half a tile. */
export async function writeTile(cacheDir: string, key: string, tile: Uint8Array): Promise<void> {
  const file = tilePath(cacheDir, key);
  await mkdir(join(file, ".."), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, tile);
  await rename(tmp, file);
}

/** Files and bytes in the disk cache. */
export async function cacheStats(cacheDir: string): Promise<{ dir: string; files: number; bytes: number }> {
  const dir = join(cacheDir, "images");
  let files = 0;
  let bytes = 0;
  for (const sub of await readdir(dir).catch(() => [] as string[])) {
    for (const name of await readdir(join(dir, sub)).catch(() => [] as string[])) {
      const info = await stat(join(dir, sub, name)).catch(() => null);
      if (info?.isFile()) {
        files++;
        bytes += info.size;
      }
    }
  }
  return { dir, files, bytes };
}

/** Deletes the disk cache's `images/` folder and empties the LRU. */
export async function clearCache(cacheDir: string): Promise<void> {
  await rm(join(cacheDir, "images"), { recursive: true, force: true });
  memoryCache.clear();
}

/**
 * `loadImages`: the pixels of some items at one size, as one NHWC uint8 buffer. Memory LRU first
 * (synchronously, no promise per hit), then the disk cache, then decode (files) or generate
 * (synthetic); misses are filled in parallel and cache writes overlap the next decodes.
 */
import type { LoadedDataset } from "./load";
import { memoryCache, readTile, tileKey, writeTile } from "./cache";
import { DataError } from "../errors";
import { decodeFile, resizeRgb } from "./decode";
import { decodeConcurrency, mapLimit } from "./pool";
import { renderTissue } from "./synthetic/tissue";
import type { DataItem, Dataset, ResizeMode } from "./types";

/** Counters for benchmarks and tests: where the tiles of the calls so far came from. */
export const tileStats = { memory: 0, disk: 0, decoded: 0, writeErrors: 0, skipped: 0 };

/**
 * The images `indices` (into `dataset.items`) at `size`x`size`, RGB, as one NHWC uint8 buffer
 * (`indices.length * size * size * 3` bytes), in the order of `indices`.
 */
export async function loadImages(
  dataset: LoadedDataset,
  indices: readonly number[],
  size: number,
  resize: ResizeMode,
): Promise<Uint8Array> {
  const tileBytes = size * size * 3;
  const out = new Uint8Array(indices.length * tileBytes);
  const misses: [slot: number, item: DataItem][] = [];
  indices.forEach((index, slot) => {
    const item = dataset.items[index];
    if (!item)
      throw new RangeError(`loadImages: index ${index} is outside the dataset (0..${dataset.items.length - 1})`);
    const hit = memoryCache.get(tileKey(item.hash, size, resize));
    if (hit) {
      tileStats.memory++;
      out.set(hit, slot * tileBytes);
    } else {
      misses.push([slot, item]);
    }
  });
  // Disk-cache reads are I/O, not CPU: more of them in flight than decodes.
  const cacheDir = dataset.cacheDir;
  const toMake = !cacheDir
    ? misses
    : (
        await mapLimit(misses, DISK_READS_IN_FLIGHT, async ([slot, item]) => {
          const onDisk = item.file ? await readCached(cacheDir, item, size, resize) : null;
          if (onDisk) out.set(onDisk, slot * tileBytes);
          return onDisk ? null : ([slot, item] as const);
        })
      ).filter((m) => m !== null);
  const writes: Promise<void>[] = [];
  await mapLimit(toMake, decodeConcurrency(), async ([slot, item]) => {
    out.set(await make(dataset, item, size, resize, writes), slot * tileBytes);
  });
  await Promise.all(writes);
  return out;
}

const DISK_READS_IN_FLIGHT = 16;

/** One tile, through the caches. */
export async function tile(
  dataset: LoadedDataset,
  item: DataItem,
  size: number,
  resize: ResizeMode,
): Promise<Uint8Array> {
  const hit = memoryCache.get(tileKey(item.hash, size, resize));
  if (hit) {
    tileStats.memory++;
    return hit;
  }
  const writes: Promise<void>[] = [];
  const made = await fill(dataset, item, size, resize, writes);
  await Promise.all(writes);
  return made;
}

/** A memory miss: disk cache, else decode/generate; the disk write is pushed onto `writes`. */
async function fill(
  dataset: LoadedDataset,
  item: DataItem,
  size: number,
  resize: ResizeMode,
  writes: Promise<void>[],
): Promise<Uint8Array> {
  // Synthetic tiles are cheaper to draw again than to read back, so they skip the disk cache.
  const onDisk = item.file && dataset.cacheDir ? await readCached(dataset.cacheDir, item, size, resize) : null;
  return onDisk ?? make(dataset, item, size, resize, writes);
}

async function readCached(cacheDir: string, item: DataItem, size: number, resize: ResizeMode) {
  const key = tileKey(item.hash, size, resize);
  const onDisk = await readTile(cacheDir, key, size * size * 3);
  if (onDisk) {
    tileStats.disk++;
    memoryCache.set(key, onDisk);
  }
  return onDisk;
}

/** Decodes (files) or draws (synthetic) a tile and caches it. */
async function make(
  dataset: LoadedDataset,
  item: DataItem,
  size: number,
  resize: ResizeMode,
  writes: Promise<void>[],
): Promise<Uint8Array> {
  const made = item.file
    ? await decodeOrSkip(dataset, item.file, size, resize)
    : await synthesize(dataset, item, size, resize);
  tileStats.decoded++;
  if (item.file && dataset.cacheDir) writes.push(writeOrWarn(dataset.cacheDir, tileKey(item.hash, size, resize), made));
  memoryCache.set(tileKey(item.hash, size, resize), made);
  return made;
}

/**
 * A file that passed the start-up check but no longer decodes (changed or cut since): under
 * `on_bad_image: skip` a black tile stands in for it (the split is fixed once the run starts, so
 * the item cannot leave it) and a warning names it once; under `error` the DataError stops the run.
 */
async function decodeOrSkip(dataset: LoadedDataset, file: string, size: number, resize: ResizeMode) {
  try {
    return await decodeFile(file, size, resize);
  } catch (error) {
    if (dataset.onBadImage !== "skip" || !(error instanceof DataError)) throw error;
    tileStats.skipped++;
    if (!warnedSkipped.has(file)) {
      warnedSkipped.add(file);
      process.emitWarning(
        `skipped (on_bad_image: skip): ${error.message}; a black tile stands in for it`,
        "TesseraDataWarning",
      );
    }
    return new Uint8Array(size * size * 3);
  }
}

const warnedSkipped = new Set<string>();

let warnedCacheDir: string | null = null;

/** A cache that cannot be written (read-only disk, full disk) slows a run down but must not stop it. */
async function writeOrWarn(cacheDir: string, key: string, tile: Uint8Array): Promise<void> {
  try {
    await writeTile(cacheDir, key, tile);
  } catch (error) {
    tileStats.writeErrors++;
    if (warnedCacheDir !== cacheDir) {
      warnedCacheDir = cacheDir;
      process.emitWarning(
        `cannot write the image cache in ${cacheDir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); going on without it`,
        "TesseraCacheWarning",
      );
    }
  }
}

async function synthesize(dataset: Dataset, item: DataItem, size: number, resize: ResizeMode): Promise<Uint8Array> {
  const gen = dataset.synthetic;
  if (!gen) throw new Error(`item ${item.key} has neither a file nor a generator`);
  const index = Number(item.key.slice(item.key.lastIndexOf("/") + 1));
  // Drawing is synchronous JS (a few ms a tile): let timers and I/O run between tiles.
  await new Promise((resolve) => setImmediate(resolve));
  return resizeRgb(renderTissue(item.label, index, gen.seed, gen.imageSize), gen.imageSize, size, resize);
}

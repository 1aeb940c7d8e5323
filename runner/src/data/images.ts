/**
 * `loadImages`: the pixels of some items at one size, as one NHWC uint8 buffer. Memory LRU first,
 * then the disk cache, then decode (files) or generate (synthetic); misses are filled in parallel.
 */
import type { LoadedDataset } from "./load";
import { memoryCache, readTile, tileKey, writeTile } from "./cache";
import { decodeFile, resizeRgb } from "./decode";
import { decodeConcurrency, mapLimit } from "./pool";
import { renderTissue } from "./synthetic/tissue";
import type { DataItem, Dataset, ResizeMode } from "./types";

/** Counters for benchmarks and tests: where the tiles of the last calls came from. */
export const tileStats = { memory: 0, disk: 0, decoded: 0 };

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
  await mapLimit(indices, decodeConcurrency(), async (index, slot) => {
    const item = dataset.items[index];
    if (!item)
      throw new RangeError(`loadImages: index ${index} is outside the dataset (0..${dataset.items.length - 1})`);
    out.set(await tile(dataset, item, size, resize), slot * tileBytes);
  });
  return out;
}

/** One tile, through the caches. */
export async function tile(
  dataset: LoadedDataset,
  item: DataItem,
  size: number,
  resize: ResizeMode,
): Promise<Uint8Array> {
  const key = tileKey(item.hash, size, resize);
  const hit = memoryCache.get(key);
  if (hit) {
    tileStats.memory++;
    return hit;
  }
  // Synthetic tiles are cheaper to draw again than to read back, so they skip the disk cache.
  const onDisk = item.file && dataset.cacheDir ? await readTile(dataset.cacheDir, key, size * size * 3) : null;
  if (onDisk) {
    tileStats.disk++;
    memoryCache.set(key, onDisk);
    return onDisk;
  }
  const made = item.file ? await decodeFile(item.file, size, resize) : await synthesize(dataset, item, size, resize);
  tileStats.decoded++;
  if (item.file && dataset.cacheDir) await writeTile(dataset.cacheDir, key, made);
  memoryCache.set(key, made);
  return made;
}

async function synthesize(dataset: Dataset, item: DataItem, size: number, resize: ResizeMode): Promise<Uint8Array> {
  const gen = dataset.synthetic;
  if (!gen) throw new Error(`item ${item.key} has neither a file nor a generator`);
  const index = Number(item.key.slice(item.key.lastIndexOf("/") + 1));
  return resizeRgb(renderTissue(item.label, index, gen.seed, gen.imageSize), gen.imageSize, size, resize);
}

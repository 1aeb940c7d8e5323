/**
 * Data bench (`pnpm bench:data`): images/s over the 600 Kimia Path960 tiles at 224 px for
 *   1. a bare sharp loop (decode + resize only, one at a time): the physical limit;
 *   2. the same bare loop with the pipeline's parallelism (what 2 cores can give);
 *   3. the pipeline's first pass, cold cache in a temp dir (loadDataset: read, hash, header check;
 *      then loadImages: decode, resize, write the disk cache);
 *   4. a cached epoch from the disk cache (memory LRU emptied), and one from the memory LRU;
 *   5. a second run's loadDataset (files stat'ed against the hash index, not re-read).
 * Goals: first pass within 1.5x of the bare loop; cached epoch >= 20x faster than the first pass.
 * Each is measured --repeat times (a fresh cold cache each time) and the median is reported, since
 * the machine may be shared. Options: --dir (default the team kit's Kimia folder), --size 224,
 * --repeat 3. Prints JSON on stdout.
 */
import { readFile, mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { memoryCache } from "../runner/src/data/cache";
import { bareSharpDecode } from "../runner/src/data/decode";
import { loadImages } from "../runner/src/data/images";
import { loadDataset } from "../runner/src/data/load";
import { decodeConcurrency, mapLimit } from "../runner/src/data/pool";
import { KIMIA_DIR } from "../tests/helpers/paths";

const { values } = parseArgs({
  options: {
    dir: { type: "string", default: KIMIA_DIR },
    size: { type: "string", default: "224" },
    repeat: { type: "string", default: "3" },
  },
});
const dir = values.dir!;
const size = Number(values.size);
const repeat = Math.max(1, Number(values.repeat));
const cacheRoot = await mkdtemp(join(tmpdir(), "tessera-bench-data-"));
const data = {
  source: "folder",
  path: dir,
  label: { from: "filename", pattern: "^([A-T])\\d+\\.tif$" },
  split: { protocol: "holdout", valid: 0.2, k: 5, folds: null, stratify: true, seed: 42 },
  resize: "squish",
  normalize: "auto",
  augment: { dihedral: false, crop: null, brightness: 0, contrast: 0, stain_jitter: 0 },
  on_bad_image: "error",
} as const;

const time = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const out = await fn();
  return [out, (performance.now() - t0) / 1000];
};

try {
  // Warm the OS page cache so every variant below reads the files from memory alike.
  const ds0 = await loadDataset(data, { seed: 42, baseDir: ".", cacheDir: false });
  const files = ds0.items.map((i) => i.file!);
  await Promise.all(files.map((f) => readFile(f)));
  const n = files.length;

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const runs: Record<string, number>[] = [];
  for (let r = 0; r < repeat; r++) {
    const cacheDir = join(cacheRoot, `run${r}`);
    const [, bare] = await time(async () => {
      for (const f of files) await bareSharpDecode(f, size);
    });
    const [, bareParallel] = await time(() => mapLimit(files, decodeConcurrency(), (f) => bareSharpDecode(f, size)));
    memoryCache.clear();
    const [ds, listing] = await time(() => loadDataset(data, { seed: 42, baseDir: ".", cacheDir }));
    const all = ds.items.map((_, i) => i);
    const [, decode] = await time(() => loadImages(ds, all, size, "squish"));
    memoryCache.clear();
    const [, diskEpoch] = await time(() => loadImages(ds, all, size, "squish"));
    const [, memoryEpoch] = await time(() => loadImages(ds, all, size, "squish"));
    const [, relisting] = await time(() => loadDataset(data, { seed: 42, baseDir: ".", cacheDir }));
    runs.push({ bare, bareParallel, listing, decode, firstPass: listing + decode, diskEpoch, memoryEpoch, relisting });
  }
  const m = (k: string) => median(runs.map((r) => r[k]!));
  const [bare, bareParallel, listing, decode, firstPass, diskEpoch, memoryEpoch, relisting] = [
    "bare",
    "bareParallel",
    "listing",
    "decode",
    "firstPass",
    "diskEpoch",
    "memoryEpoch",
    "relisting",
  ].map(m) as [number, number, number, number, number, number, number, number];

  const ips = (s: number) => Math.round(n / s);
  const result = {
    images: n,
    size,
    cores: cpus().length,
    load_average: loadavg().map((l) => Number(l.toFixed(1))),
    repeat,
    concurrency: decodeConcurrency(),
    images_per_s: {
      bare_sharp_loop: ips(bare),
      bare_sharp_parallel: ips(bareParallel),
      first_pass: ips(firstPass),
      first_pass_decode_only: ips(decode),
      cached_epoch_disk: ips(diskEpoch),
      cached_epoch_memory: ips(memoryEpoch),
    },
    seconds: { bare, bareParallel, listing, decode, firstPass, diskEpoch, memoryEpoch, relisting },
    ratios: {
      first_pass_vs_bare_loop: Number((firstPass / bare).toFixed(2)),
      first_pass_vs_bare_parallel: Number((firstPass / bareParallel).toFixed(2)),
      disk_epoch_speedup: Number((firstPass / diskEpoch).toFixed(1)),
      memory_epoch_speedup: Number((firstPass / memoryEpoch).toFixed(1)),
    },
    goals: {
      first_pass_within_1_5x_of_bare_loop: firstPass <= 1.5 * bare,
      cached_epoch_20x_faster: firstPass / diskEpoch >= 20,
    },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await rm(cacheRoot, { recursive: true, force: true });
}

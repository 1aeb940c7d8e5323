/**
 * The frozen-prefix activation cache (fastai 0.7's `precompute=True`, generalised): when the first
 * layer groups of a stage are frozen with `train_bn: false`, their output cannot change during the
 * stage, so it is computed once per image and per dihedral view, kept outside the wasm heap, and
 * the stage trains only the suffix on it. Same numbers as the uncached path (the dihedral view of
 * the normalised image equals the normalised view, and frozen BN runs in inference mode either
 * way); random crops, stain/brightness/contrast jitter make every epoch's input new, so they rule
 * the cache out. `prepareActivationCache` returns the model and data `runStage` should use.
 *
 * Rows live in an {@link ActivationCachePool} that outlives the stage: a later stage or fold whose
 * prefix has the same weights (a fingerprint of them is part of the key), cut, size and views reads
 * the rows already computed instead of computing them again. In a k-fold run every fold starts from
 * the same pretrained weights, so the prefix passes are paid once for the whole protocol.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { InferenceEngineName, ResolvedAugment, ResolvedStage } from "@tessera/shared";
import * as tf from "../../tf";
import { dihedralView, rngFor } from "../../data";
import { setTrainable, type BuiltModel } from "../../model";
import { writeJsonAtomic } from "../../runs";
import { ActivationStore, DEFAULT_MAX_MEMORY_BYTES } from "./store";
import type { TrainData, TrainFold } from "../loop/data";
import { cutAtFrozenPrefix } from "./model-cut";
import { BLOCK_ROWS, CLAIM_ROWS, SharedActivations } from "./share";
import { cacheEligibility } from "./eligibility";
import { ACTIVATION_CACHE_FILE, type ActivationCacheRecord } from "./record";
import { openInferer, type Inferer, type InfererOptions } from "../../inference/engine";

export { ACTIVATION_CACHE_FILE, type ActivationCacheRecord } from "./record";
export { cacheEligibility, firstTapedPart } from "./eligibility";

/**
 * The dihedral view (0..7) `augmentBatch` gives each of `n` images for `seed` when dihedral is the
 * only augmentation: the first `n` draws of its `rngFor(seed, "augment")` stream. A test checks it
 * against augmentBatch itself, so the two cannot drift apart silently.
 */
export function dihedralViewsForSeed(seed: number, n: number): number[] {
  const rng = rngFor(seed, "augment");
  return Array.from({ length: n }, () => Math.floor(rng() * 8));
}

export interface PrepareOptions {
  built: BuiltModel;
  stage: ResolvedStage;
  augment: ResolvedAugment;
  data: TrainData;
  fold: TrainFold;
  /** Batch size of the prefix pass. @default stage.batch_size */
  batchSize?: number;
  /** Where a cache too big for memory goes (and where the record is written): the run folder. */
  runDir?: string;
  maxMemoryBytes?: number;
  /** Rows shared with other stages and folds of the run; without one, the rows die with the stage. */
  pool?: ActivationCachePool;
  /**
   * Share rows on disk with other processes (a sweep's trials): the root folder and what identifies
   * the data (its data_hash), which the key needs since rows are indexed by item. @default env
   * TESSERA_ACTIVATION_SHARE, with no sharing when unset
   */
  share?: { root: string; dataKey: string };
  /** What computes the prefix's outputs (the run's `inference_engine`). @default "auto" */
  engine?: InferenceEngineName;
  /** Passed to the engine (tests: where the fallback line goes, how ONNX Runtime loads). */
  engineOptions?: Pick<InfererOptions, "warn" | "loadOrt">;
}

/** One cached tensor: row `item * views + view` holds that item's prefix output for that view. */
interface PoolEntry {
  store: ActivationStore;
  filled: Uint8Array;
}

/**
 * The run's cached rows, by prefix (weights fingerprint, cut layer, size, views). Each entry has a
 * row for every item of the data set and every view, filled lazily, so any fold can use it. The
 * memory budget is the pool's: once in-memory entries use it up, new entries spill to disk.
 */
export class ActivationCachePool {
  private readonly entries = new Map<string, PoolEntry>();
  private memoryBytes = 0;

  constructor(private readonly opts: { runDir?: string; maxMemoryBytes?: number } = {}) {}

  /** The entry for `key`, created empty for `items * views` rows of `rowLength` floats. */
  entry(key: string, items: number, views: number, rowLength: number): PoolEntry {
    let entry = this.entries.get(key);
    if (!entry) {
      const rows = items * views;
      const store = new ActivationStore(rows, rowLength, {
        maxMemoryBytes: (this.opts.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES) - this.memoryBytes,
        ...(this.opts.runDir ? { spillDir: join(this.opts.runDir, "activation_cache") } : {}),
      });
      if (store.storage === "memory") this.memoryBytes += store.bytes;
      entry = { store, filled: new Uint8Array(rows) };
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** Frees every entry's memory and spill file. */
  dispose(): void {
    for (const entry of this.entries.values()) entry.store.dispose();
    this.entries.clear();
    this.memoryBytes = 0;
  }
}

/**
 * sha256 of a model's weights (shapes and values, in order): equal prefixes give equal rows. Not the
 * names: tfjs makes variable names unique per process, so two builds of one model differ in them.
 */
async function weightsFingerprint(model: tf.LayersModel): Promise<string> {
  const hash = createHash("sha256");
  for (const w of model.weights) {
    const values = (await w.read().data()) as Float32Array;
    hash.update(`${w.shape.join("x")};`);
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  return hash.digest("hex");
}

/**
 * The prefix's output [h, w, c] at `size` px, from the layers' shape arithmetic: running the prefix
 * on a blank image to learn it cost a whole ResNet50 forward pass (1.3 s at 128 px on one wasm
 * thread, more under load) in every trial, including the sweep trials that then read every row.
 * Falls back to that pass if a layer cannot say its output shape.
 */
export function prefixOutputShape(prefix: tf.LayersModel, size: number): [number, number, number] {
  try {
    const shape = prefix.computeOutputShape([1, size, size, 3]) as number[];
    if (shape.length === 4 && shape.every((d) => Number.isInteger(d) && d > 0))
      return [shape[1]!, shape[2]!, shape[3]!];
  } catch {
    /* a layer without shape arithmetic: probe below */
  }
  const probe = tf.tidy(() => prefix.predict(tf.zeros([1, size, size, 3])) as tf.Tensor4D);
  const [, h, w, c] = probe.shape;
  probe.dispose();
  return [h, w, c];
}

/** A cached stage: train with `model` and `data` in place of the originals, then `dispose()`. */
export interface CachedStage {
  model: tf.LayersModel;
  /** The prefix's weights (tfjs `originalName`s): they cannot change while the stage trains. */
  frozenWeights: string[];
  data: TrainData;
  record: ActivationCacheRecord;
  dispose(): void;
}

/**
 * Builds the cache for a stage, or returns `{ reason }` saying why this stage runs uncached.
 * Sets the stage's trainable groups first (frozen BN must be in inference mode for the prefix pass).
 */
export async function prepareActivationCache(opts: PrepareOptions): Promise<CachedStage | { reason: string }> {
  const { built, stage, data, fold } = opts;
  const why = cacheEligibility(stage, opts.augment);
  if (why) return { reason: why };
  setTrainable(built, stage.trainable, stage.train_bn, stage.bn);
  const cut = cutAtFrozenPrefix(built, stage.trainable);
  if ("reason" in cut) return cut;
  const views = opts.augment.dihedral ? 8 : 1;
  const size = stage.size;

  const [h, w, c] = prefixOutputShape(cut.prefix, size);
  const rowShape = cut.pooled ? [1, 1, c] : [h, w, c];
  const rowLength = rowShape.reduce((a, b) => a * b, 1);
  const ownPool = opts.pool
    ? null
    : new ActivationCachePool({
        ...(opts.runDir ? { runDir: opts.runDir } : {}),
        ...(opts.maxMemoryBytes === undefined ? {} : { maxMemoryBytes: opts.maxMemoryBytes }),
      });
  const pool = opts.pool ?? ownPool!;
  const key = [await weightsFingerprint(cut.prefix), cut.cutLayer, cut.pooled, size, views].join("|");
  const items = data.labels.length;
  const { store, filled } = pool.entry(key, items, views, rowLength);
  const shared = opts.share
    ? new SharedActivations(opts.share.root, `${key}|${opts.share.dataKey}|${items}|${rowLength}`, rowLength)
    : null;
  const rowOf = (item: number, view: number) => item * views + view;
  const inFold = new Set([...fold.train, ...fold.valid]);

  const train = new Set(fold.train);
  const bs = opts.batchSize ?? stage.batch_size;
  // Filled lazily: a row is computed the first time a batch needs it, so an E-epoch stage computes
  // at most min(E, 8) views per image and never more prefix passes than the uncached path.
  let filledRows = 0;
  let reusedRows = 0;
  const touched = new Uint8Array(store.rows);
  let prefixSeconds = 0;
  const missing = new Map<number, { item: number; view: number }>();
  const fill = async (needed: { item: number; view: number }[]) => {
    missing.clear();
    for (const n of needed) {
      const row = rowOf(n.item, n.view);
      if (!touched[row]) {
        touched[row] = 1;
        if (filled[row]) reusedRows++; // computed by an earlier stage or fold
      }
      if (!filled[row]) missing.set(row, n);
    }
    if (missing.size === 0) return;
    // Rows another process of the sweep computed already.
    const takeShared = () => {
      if (!shared) return;
      for (const [row] of [...missing]) {
        const values = shared.read(row);
        if (!values) continue;
        store.write(row, values);
        filled[row] = 1;
        missing.delete(row);
        reusedRows++;
      }
    };
    takeShared();
    if (missing.size === 0) return;
    if (!shared) return compute();
    // Block by block: claim a few blocks no other trial is filling, compute them, release them and
    // claim more; then wait for the blocks others held (most of them written by then).
    const all = new Map(missing);
    const blocks = new Map<number, [number, { item: number; view: number }][]>();
    for (const [row, n] of all) {
      const b = Math.floor(row / BLOCK_ROWS);
      blocks.set(b, [...(blocks.get(b) ?? []), [row, n]]);
    }
    const computeHeld = async (
      held: { lock: { release(): void }; rows: [number, { item: number; view: number }][] }[],
    ) => {
      try {
        missing.clear();
        for (const h of held) for (const [row, n] of h.rows) if (!filled[row]) missing.set(row, n);
        takeShared(); // written by another trial since this batch looked
        await compute();
      } finally {
        for (const h of held) h.lock.release();
      }
    };
    const waiting: number[] = [];
    let held: { lock: { release(): void }; rows: [number, { item: number; view: number }][] }[] = [];
    for (const [b, rows] of blocks) {
      const lock = shared.tryLock(b);
      if (!lock) {
        waiting.push(b);
        continue;
      }
      held.push({ lock, rows });
      if (held.reduce((n, h) => n + h.rows.length, 0) >= CLAIM_ROWS) {
        await computeHeld(held);
        held = [];
      }
    }
    if (held.length > 0) await computeHeld(held);
    for (const b of waiting) {
      const rows = blocks.get(b)!;
      // Usually written by the trial that held the lock by now: taking the lock then computes nothing.
      if (!rows.every(([row]) => filled[row])) await computeHeld([{ lock: await shared.lock(b), rows }]);
    }
    const left = [...all.keys()].filter((row) => !filled[row]).length;
    if (left > 0) throw new Error(`internal: ${left} prefix rows still missing after the fill`);
  };
  // Opened when the first row is computed: a stage whose rows all come from the pool converts nothing.
  let inferer: Inferer | null = null;
  let engineOpenSeconds = 0;
  const compute = async () => {
    if (missing.size === 0) return;
    const t0 = performance.now();
    if (!inferer) {
      inferer = await openInferer(cut.prefix, {
        engine: opts.engine ?? "auto",
        size,
        output: "features",
        ...opts.engineOptions,
      });
      engineOpenSeconds = (performance.now() - t0) / 1000;
    }
    for (let v = 0; v < views; v++) {
      const todo = [...missing].filter(([, n]) => n.view === v);
      for (let start = 0; start < todo.length; start += bs) {
        const chunk = todo.slice(start, start + bs);
        const x = await data.input(
          chunk.map(([, n]) => n.item),
          size,
          null,
        );
        const view = v === 0 ? x : dihedralView(x, v);
        const y = await inferer.run(view);
        const out = cut.pooled ? tf.mean(y, [1, 2]) : y;
        const values = (await out.data()) as Float32Array;
        tf.dispose([x, view, y, out]);
        chunk.forEach(([row], k) => {
          const rowValues = values.subarray(k * rowLength, (k + 1) * rowLength);
          store.write(row, rowValues);
          shared?.write(row, rowValues);
          filled[row] = 1;
        });
        filledRows += chunk.length;
      }
    }
    prefixSeconds += (performance.now() - t0) / 1000;
    missing.clear();
  };

  const prefixLayers = new Set(cut.prefix.layers);
  const record: ActivationCacheRecord = {
    stage: stage.name,
    fold: fold.id,
    cached_groups: built.groups
      .filter((g) => g.layers.length > 0 && g.layers.every((l) => prefixLayers.has(l)))
      .map((g) => g.name),
    cut_layer: cut.cutLayer,
    pooled: cut.pooled,
    views,
    items: inFold.size,
    rows: store.rows,
    filled_rows: 0,
    reused_rows: 0,
    row_shape: rowShape,
    bytes: store.bytes,
    storage: store.storage,
    seconds: 0,
    engine: null,
  };

  const cachedData: TrainData = {
    ...data,
    async input(indices, _size, augment) {
      const picked = augment && views > 1 ? dihedralViewsForSeed(augment.seed, indices.length) : null;
      const needed = indices.map((item, k) => {
        if (!inFold.has(item)) throw new Error(`internal: item ${item} is not in this fold`);
        return { item, view: picked && train.has(item) ? picked[k]! : 0 };
      });
      await fill(needed);
      const rowsOf = needed.map((n) => rowOf(n.item, n.view));
      return tf.tensor4d(store.gather(rowsOf), [indices.length, ...rowShape] as [number, number, number, number]);
    },
  };
  return {
    model: cut.suffix,
    frozenWeights: cut.prefix.weights.map((w) => w.originalName),
    data: cachedData,
    record,
    dispose: () => {
      record.filled_rows = filledRows;
      record.reused_rows = reusedRows;
      record.seconds = prefixSeconds;
      record.engine = inferer?.engine ?? null;
      record.engine_open_seconds = engineOpenSeconds;
      if (inferer?.fallback) record.engine_fallback = inferer.fallback;
      void inferer?.dispose();
      if (opts.runDir) appendRecord(opts.runDir, record);
      ownPool?.dispose();
    },
  };
}

function appendRecord(runDir: string, record: ActivationCacheRecord): void {
  const file = join(runDir, ACTIVATION_CACHE_FILE);
  const list = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as ActivationCacheRecord[]) : [];
  writeJsonAtomic(file, [...list, record]);
}

/**
 * What `trainFold` calls per stage: the cached suffix model and data when the stage allows it,
 * else the originals (`dispose` is then a no-op). Env `TESSERA_ACTIVATION_CACHE=0` turns it off.
 */
export async function stageModelAndData(opts: PrepareOptions): Promise<{
  model: tf.LayersModel;
  data: TrainData;
  cached: ActivationCacheRecord | null;
  /** Weights the stage cannot change (the cached prefix's); empty when it runs uncached. */
  frozenWeights: string[];
  dispose(): void;
}> {
  const off = process.env.TESSERA_ACTIVATION_CACHE === "0";
  const cached = off ? { reason: "off" } : await prepareActivationCache(opts);
  if ("reason" in cached)
    return { model: opts.built.model, data: opts.data, cached: null, frozenWeights: [], dispose: () => undefined };
  return {
    model: cached.model,
    data: cached.data,
    cached: cached.record,
    frozenWeights: cached.frozenWeights,
    dispose: cached.dispose,
  };
}

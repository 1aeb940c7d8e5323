// The cached path must train to the same weights as the uncached one (it is a speed-up, not an
// approximation), through the real loop (`runStage`) on a tiny ResNet.
import { describe, expect, it } from "vitest";
import type { ResolvedAugment, ResolvedOptimizer, ResolvedStage } from "@tessera/shared";
import * as tf from "../../tf";
import { augmentBatch, normalizeBatch } from "../../data";
import { buildModel, type BuiltModel } from "../../model";
import { withRandomBnStatistics } from "../../model/test-helpers";
import { freezeForStage } from "../loop/step";
import { ActivationCachePool, dihedralViewsForSeed, prefixOutputShape, prepareActivationCache } from "./cache";
import { cutAtFrozenPrefix } from "./model-cut";
import { setTrainable } from "../../model";
import type { TrainData } from "../loop/data";
import { runStage } from "../loop/stage";
import type { EpochLogs, TrainHooks } from "../loop/hooks";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { SharedActivations } from "./share";
import { tmpdir } from "node:os";
import { join } from "node:path";

const N = 24;
const SIZE = 32;
const AUG: ResolvedAugment = { dihedral: true, crop: null, brightness: 0, contrast: 0, stain_jitter: 0 };
const OPT: ResolvedOptimizer = { name: "adam", weight_decay: 0.01, momentum: 0.9, beta1: 0.9, beta2: 0.99, eps: 1e-5 };

function fakeData(): TrainData {
  const pixels = new Uint8Array(N * SIZE * SIZE * 3);
  let s = 12345;
  for (let i = 0; i < pixels.length; i++) pixels[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  const labels = Array.from({ length: N }, (_, i) => i % 3);
  const rows = (indices: number[]) => {
    const out = new Uint8Array(indices.length * SIZE * SIZE * 3);
    indices.forEach((item, k) =>
      out.set(pixels.subarray(item * SIZE * SIZE * 3, (item + 1) * SIZE * SIZE * 3), k * SIZE * SIZE * 3),
    );
    return out;
  };
  return {
    classes: ["a", "b", "c"],
    labels,
    keys: labels.map((_, i) => `img${i}`),
    folds: [{ id: null, train: Array.from({ length: 18 }, (_, i) => i), valid: [18, 19, 20, 21, 22, 23] }],
    dataHash: "d",
    splitHash: "s",
    skipped: 0,
    pixels: async (indices) => rows(indices),
    async input(indices, size, augment) {
      return tf.tidy(() => {
        const x = tf.tensor4d(rows(indices), [indices.length, size, size, 3], "float32");
        return normalizeBatch(augment ? augmentBatch(x, AUG, augment.seed) : x, "imagenet");
      });
    },
  };
}

async function tinyModel(seed = 3): Promise<BuiltModel> {
  return buildModel(
    {
      backbone: "resnet18",
      pretrained: "none",
      width: 0.125,
      head: { dropout: 0, hidden: 0 },
      groups: { body: ["stem", "conv2", "conv3", "conv4"], late: ["conv5"], head: ["head"] },
    },
    3,
    { seed },
  );
}

/** One sweep trial on a shared prefix store: its own pool (one per process), trained on fold 0; the record and final weights. */
async function shareTrial(data: TrainData, stage: ResolvedStage, share: { root: string; dataKey: string }) {
  const fold = data.folds[0]!;
  const pool = new ActivationCachePool();
  const built = await tinyModel();
  const cached = await prepareActivationCache({ built, stage, augment: AUG, data, fold, pool, share });
  if ("reason" in cached) throw new Error(cached.reason);
  await train(built, cached.model, cached.data, stage, fold);
  cached.dispose();
  const weights = await Promise.all(built.model.getWeights().map((w) => w.data()));
  pool.dispose();
  return { record: cached.record, weights };
}

function stageOf(trainable: string[]): ResolvedStage {
  return {
    name: "s",
    index: 0,
    trainable,
    train_bn: false,
    bn: "train",
    epochs: 2,
    size: SIZE,
    batch_size: 6,
    lr: { kind: "fixed", min: 1e-3, max: 1e-2 },
    schedule: { name: "constant" },
  };
}

async function train(
  built: BuiltModel,
  model: tf.LayersModel,
  data: TrainData,
  stage: ResolvedStage,
  fold = data.folds[0]!,
  hooks: TrainHooks[] = [],
) {
  return runStage({
    model,
    groups: built.groups.map((g) => g.name),
    setTrainable: (trainable, trainBn) => freezeForStage(built, trainable, trainBn),
    stage,
    optimizer: OPT,
    microBatch: 6,
    data,
    fold,
    seed: 9,
    hooks,
    monitor: "valid.accuracy",
    mode: "max",
  });
}

describe("activation cache", () => {
  it("draws the same dihedral views as augmentBatch", () => {
    const x = tf.tensor4d(
      Array.from({ length: 5 * 4 * 4 * 3 }, (_, i) => i % 251),
      [5, 4, 4, 3],
    );
    const aug = augmentBatch(x, AUG, 77);
    const views = dihedralViewsForSeed(77, 5);
    for (let k = 0; k < 5; k++) {
      const item = x.slice([k, 0, 0, 0], [1, -1, -1, -1]);
      const expected = tf.tidy(() => {
        let y: tf.Tensor = views[k]! >= 4 ? tf.reverse(item, 2) : item;
        for (let r = 0; r < views[k]! % 4; r++) y = tf.reverse(tf.transpose(y, [0, 2, 1, 3]), 2);
        return y;
      });
      expect(Array.from(aug.slice([k, 0, 0, 0], [1, -1, -1, -1]).dataSync())).toEqual(Array.from(expected.dataSync()));
    }
  });

  it("says why a stage cannot be cached", async () => {
    const built = await tinyModel();
    const data = fakeData();
    const fold = data.folds[0]!;
    const run = (stage: ResolvedStage, augment: ResolvedAugment) =>
      prepareActivationCache({ built, stage, augment, data, fold });
    expect(await run({ ...stageOf(["head"]), train_bn: true }, AUG)).toEqual({
      reason: expect.stringMatching(/train_bn/),
    });
    expect(await run(stageOf(["head"]), { ...AUG, crop: { scale: [0.5, 1] } })).toEqual({
      reason: expect.stringMatching(/crop/),
    });
    expect(await run(stageOf(["head"]), { ...AUG, stain_jitter: 0.05 })).toEqual({
      reason: expect.stringMatching(/jitter/),
    });
    expect(await run(stageOf(["body", "late", "head"]), AUG)).toEqual({
      reason: expect.stringMatching(/no frozen prefix/),
    });
  });

  for (const trainable of [["head"], ["late", "head"]]) {
    it(`trains ${trainable.join("+")} to the same weights and metrics as the uncached path`, async () => {
      const data = fakeData();
      const stage = stageOf(trainable);
      const plain = await tinyModel();
      const plainEnd = await train(plain, plain.model, data, stage);

      const cachedModel = await tinyModel();
      const runDir = mkdtempSync(join(tmpdir(), "tessera-cache-"));
      const cached = await prepareActivationCache({
        built: cachedModel,
        stage,
        augment: AUG,
        data,
        fold: data.folds[0]!,
        runDir,
      });
      if ("reason" in cached) throw new Error(cached.reason);
      expect(cached.record).toMatchObject({ views: 8, items: 24, rows: 24 * 8, storage: "memory" });
      expect(cached.record.cut_layer).toBe(trainable.length === 1 ? "conv5_block2_out" : "conv4_block2_out");
      expect(cached.record.pooled).toBe(trainable.length === 1);
      const cachedEnd = await train(cachedModel, cached.model, cached.data, stage);
      cached.dispose();
      const recorded = JSON.parse(readFileSync(join(runDir, "activation_cache.json"), "utf8"));
      expect(recorded[0].cached_groups).toEqual(trainable.length === 1 ? ["body", "late"] : ["body"]);

      expect(cachedEnd.best?.value).toBe(plainEnd.best?.value);
      // Layer by layer: a model's weight list puts trainable ones first, so its order follows freezing.
      const weightsOf = (m: tf.LayersModel) => m.layers.flatMap((l) => l.getWeights());
      const a = weightsOf(plain.model);
      const b = weightsOf(cachedModel.model);
      expect(b.length).toBe(a.length);
      let maxDiff = 0;
      let changed = 0;
      const initial = weightsOf((await tinyModel()).model);
      a.forEach((w, i) => {
        maxDiff = Math.max(maxDiff, tf.max(tf.abs(tf.sub(w, b[i]!))).dataSync()[0]!);
        if (tf.max(tf.abs(tf.sub(w, initial[i]!))).dataSync()[0]! > 1e-6) changed++;
      });
      expect(changed).toBeGreaterThan(0); // the stage really trained something
      expect(maxDiff).toBeLessThan(1e-4);
    });
  }

  it("fills the cache with ONNX Runtime or tfjs to the same training result, and records which filled it", async () => {
    const data = fakeData();
    const stage = stageOf(["late", "head"]);
    const runWith = async (engine: "onnx" | "tfjs") => {
      const built = await tinyModel();
      withRandomBnStatistics(built.model); // so the ONNX side's BatchNorm folding is exercised
      const runDir = mkdtempSync(join(tmpdir(), "tessera-engine-"));
      const cached = await prepareActivationCache({
        built,
        stage,
        augment: AUG,
        data,
        fold: data.folds[0]!,
        runDir,
        engine,
      });
      if ("reason" in cached) throw new Error(cached.reason);
      const epochs: EpochLogs[] = [];
      const end = await train(built, cached.model, cached.data, stage, data.folds[0]!, [
        { onEpochEnd: (logs) => void epochs.push(logs) },
      ]);
      cached.dispose();
      const record = JSON.parse(readFileSync(join(runDir, "activation_cache.json"), "utf8"))[0];
      const weights = built.model.layers.flatMap((l) => l.getWeights()).map((w) => w.dataSync());
      return { end, record, weights, last: epochs.at(-1)! };
    };
    const ort = await runWith("onnx");
    const tfjs = await runWith("tfjs");
    expect(ort.record.engine).toBe("onnxruntime-cpu");
    expect(tfjs.record.engine).toBe(`tfjs-${tf.getBackend()}`);
    expect(ort.record.filled_rows).toBeGreaterThan(0);
    // Prefix rows differ by float32 rounding only (~1e-6 relative: summation order, BN folded into
    // the convolutions). The losses, means over many rows, keep that order: within 1e-4 relative.
    // Accuracy is a count of argmaxes: equal. Weights: Adam divides each gradient component by its
    // running RMS, so a component near zero turns a 1e-6 input change into a visible part of one
    // step (lr 1e-2 here); 1e-3 (a tenth of one step, 6 steps in all) is what "the same training"
    // can promise (measured: 4.2e-4; losses 6e-7 relative), and a real disagreement (a wrong layout
    // or BN fold) moves weights by whole steps.
    expect(ort.end.best?.value).toBe(tfjs.end.best?.value);
    expect(ort.last.valid_accuracy).toBe(tfjs.last.valid_accuracy);
    expect(Math.abs(ort.last.train_loss - tfjs.last.train_loss) / tfjs.last.train_loss).toBeLessThan(1e-4);
    expect(Math.abs(ort.last.valid_loss - tfjs.last.valid_loss) / tfjs.last.valid_loss).toBeLessThan(1e-4);
    let maxDiff = 0;
    ort.weights.forEach((w, i) =>
      w.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - tfjs.weights[i]![j]!)))),
    );
    expect(maxDiff).toBeLessThan(1e-3);
    expect(maxDiff).toBeGreaterThan(0); // the two engines really computed the rows separately
  });

  it("fills with tfjs and records why when ONNX Runtime cannot load", async () => {
    const data = fakeData();
    const built = await tinyModel();
    const runDir = mkdtempSync(join(tmpdir(), "tessera-fallback-"));
    const lines: string[] = [];
    const cached = await prepareActivationCache({
      built,
      stage: stageOf(["head"]),
      augment: AUG,
      data,
      fold: data.folds[0]!,
      runDir,
      engine: "onnx",
      engineOptions: {
        warn: (l) => lines.push(l),
        loadOrt: () => Promise.reject(new Error("no onnxruntime binary for this platform")),
      },
    });
    if ("reason" in cached) throw new Error(cached.reason);
    const rows = await cached.data.input([0, 1, 2], SIZE, null);
    expect(rows.shape).toEqual([3, 1, 1, cached.model.inputs[0]!.shape[3]]);
    rows.dispose();
    cached.dispose();
    expect(lines).toEqual([
      `inference: ONNX Runtime not used (no onnxruntime binary for this platform); inferring with tfjs-${tf.getBackend()}`,
    ]);
    const [record] = JSON.parse(readFileSync(join(runDir, "activation_cache.json"), "utf8"));
    expect(record).toMatchObject({ engine: `tfjs-${tf.getBackend()}`, engine_fallback: lines[0], filled_rows: 3 });
  });

  it("computes each prefix row once across folds and stages that share a pool", async () => {
    const data = fakeData();
    data.folds = [
      { id: 0, train: Array.from({ length: 12 }, (_, i) => i), valid: [18, 19, 20] },
      { id: 1, train: Array.from({ length: 12 }, (_, i) => i + 6), valid: [18, 19, 20] },
    ];
    const stage = stageOf(["head"]);
    const pool = new ActivationCachePool();
    const records = [];
    for (const fold of data.folds) {
      const built = await tinyModel(); // a fresh model per fold, as trainFold builds it
      const cached = await prepareActivationCache({ built, stage, augment: AUG, data, fold, pool });
      if ("reason" in cached) throw new Error(cached.reason);
      await train(built, cached.model, cached.data, stage, fold);
      cached.dispose();
      records.push(cached.record);
    }
    const [first, second] = records;
    expect(first!.reused_rows).toBe(0);
    // Fold 1 has fold 0's validation items (always view 0): at least those 3 rows are reused, plus
    // the views that training items 6..11 drew in both folds.
    expect(second!.reused_rows).toBeGreaterThanOrEqual(3);
    expect(second!.filled_rows).toBeLessThan(first!.filled_rows);

    // Other prefix weights (another seed) are another entry: nothing is reused from the first model's rows.
    const other = await tinyModel(4);
    const cached = await prepareActivationCache({
      built: other,
      stage,
      augment: AUG,
      data,
      fold: data.folds[0]!,
      pool,
    });
    if ("reason" in cached) throw new Error(cached.reason);
    await cached.data.input([0, 1], SIZE, null);
    cached.dispose();
    expect(cached.record.reused_rows).toBe(0);
    expect(cached.record.filled_rows).toBe(2);
    pool.dispose();
  });

  it("shares rows on disk between trials with their own pools: the second computes no prefix row", async () => {
    const data = fakeData();
    const stage = stageOf(["head"]);
    const share = { root: mkdtempSync(join(tmpdir(), "tessera-share-")), dataKey: data.dataHash };
    const trial = () => shareTrial(data, stage, share);
    const first = await trial();
    const second = await trial();
    expect(first.record.filled_rows).toBeGreaterThan(0);
    expect(second.record.filled_rows).toBe(0);
    expect(second.record.reused_rows).toBe(first.record.filled_rows);
    // Same rows, so the same training: identical weights.
    second.weights.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(first.weights[i]!)));
  });

  it("two trials filling one shared entry at once split the rows: each row computed once, same training", async () => {
    const data = fakeData();
    const stage = stageOf(["head"]);
    const trial = (share: { root: string; dataKey: string }) => shareTrial(data, stage, share);
    const alone = await trial({ root: mkdtempSync(join(tmpdir(), "tessera-share-")), dataKey: data.dataHash });
    const share = { root: mkdtempSync(join(tmpdir(), "tessera-share-")), dataKey: data.dataHash };
    const [a, b] = await Promise.all([trial(share), trial(share)]);
    // Between them they computed exactly the rows one trial alone computes: none twice.
    expect(a.record.filled_rows + b.record.filled_rows).toBe(alone.record.filled_rows);
    expect(a.record.filled_rows + (a.record.reused_rows ?? 0)).toBe(alone.record.filled_rows);
    expect(b.record.filled_rows + (b.record.reused_rows ?? 0)).toBe(alone.record.filled_rows);
    for (const t of [a, b]) t.weights.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(alone.weights[i]!)));
  });

  it("knows the prefix's output shape without running it, at even and odd sizes", async () => {
    const built = await tinyModel();
    for (const trainable of [["head"], ["late", "head"]]) {
      setTrainable(built, trainable, false);
      const cut = cutAtFrozenPrefix(built, trainable);
      if ("reason" in cut) throw new Error(cut.reason);
      for (const size of [32, 37, 50]) {
        const ran = tf.tidy(() => (cut.prefix.predict(tf.zeros([1, size, size, 3])) as tf.Tensor).shape);
        expect(prefixOutputShape(cut.prefix, size)).toEqual(ran.slice(1));
      }
    }
  });

  it("never reads a torn shared row: a half-written temporary file or a short file counts as missing", () => {
    const root = mkdtempSync(join(tmpdir(), "tessera-share-"));
    const shared = new SharedActivations(root, "k", 4);
    shared.write(0, new Float32Array([1, 2, 3, 4]));
    expect(Array.from(shared.read(0)!)).toEqual([1, 2, 3, 4]);
    writeFileSync(join(shared.dir, "r1.f32.999.tmp"), new Uint8Array(16)); // a writer killed before its rename
    expect(shared.read(1)).toBeNull();
    writeFileSync(join(shared.dir, "r2.f32"), new Uint8Array(8)); // not a whole row
    expect(shared.read(2)).toBeNull();
  });

  it("shares one memory budget across the pool's entries: past it, new entries spill to disk", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "tessera-pool-"));
    const pool = new ActivationCachePool({ runDir, maxMemoryBytes: 5000 });
    expect(pool.entry("a", 10, 2, 40).store.storage).toBe("memory"); // 20 rows x 40 floats: 3,200 bytes
    expect(pool.entry("a", 10, 2, 40).store.storage).toBe("memory"); // the same entry again
    expect(pool.entry("b", 10, 2, 40).store.storage).toBe("disk"); // 3,200 more would exceed 5,000
    expect(pool.entry("c", 1, 1, 50).store.storage).toBe("memory"); // 200 bytes still fit
    pool.dispose();
  });
});

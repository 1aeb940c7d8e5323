/**
 * The activation cache's speed-up: seconds per training epoch of ResNet50 at 128 px on the Kimia
 * Path960 tiles (the team kit's copy), with and without the cache, for a head-only stage and a
 * conv5+head stage (BatchNorm frozen, `train_bn: false`; dihedral views only). Random init: the
 * timing does not depend on the weights. A subset of the training images keeps it short on a
 * shared 2-core machine; epoch seconds scale with the image count. The cache fills lazily, so the
 * first cached epoch pays the prefix passes it needs (printed separately).
 *
 *   pnpm exec tsx bench/activation-cache.ts [--train 64] [--valid 16] [--size 128] [--batch 16] [--backend wasm]
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { ResolvedStage } from "../shared/src";
import type * as tf from "../runner/src/tf";
import { selectBackend } from "../runner/src/backend";
import { loadConfig } from "../runner/src/config";
import { loadDataset } from "../runner/src/data";
import { buildModel, setTrainable, trainableVariablesByGroup, type BuiltModel } from "../runner/src/model";
import { prepareActivationCache } from "../runner/src/train/activation-cache/cache";
import { trainDataOf } from "../runner/src/train/loop/data-adapter";
import type { TrainData, TrainFold } from "../runner/src/train/loop/data";
import { runStage } from "../runner/src/train/loop/stage";

const { values: o } = parseArgs({
  options: {
    train: { type: "string", default: "64" },
    valid: { type: "string", default: "16" },
    size: { type: "string", default: "128" },
    batch: { type: "string", default: "16" },
    backend: { type: "string", default: "wasm" },
  },
});
const size = Number(o.size);
const root = join(import.meta.dirname, "..");
const backend = await selectBackend(o.backend as "wasm");
const loaded = await loadConfig(join(root, "configs/kimia960-resnet50.yaml"), {
  set: ["data.augment.stain_jitter=0", "model.pretrained=none"],
});
const dataset = await loadDataset(loaded.config.data, { seed: 42, baseDir: join(root, "configs") });
const full = trainDataOf(dataset, loaded.config.data, "caffe");
const fold: TrainFold = {
  id: null,
  train: full.folds[0]!.train.slice(0, Number(o.train)),
  valid: full.folds[0]!.valid.slice(0, Number(o.valid)),
};
const data: TrainData = { ...full, folds: [fold] };

const groups = { early: ["stem", "conv2", "conv3", "conv4"], late: ["conv5"], head: ["head"] } as const;
const model = () =>
  buildModel(
    {
      backbone: "resnet50",
      pretrained: "none",
      width: 1,
      head: { dropout: 0.5, hidden: 0 },
      groups: { early: [...groups.early], late: [...groups.late], head: [...groups.head] },
    },
    data.classes.length,
    { seed: 42 },
  );

function stage(trainable: string[]): ResolvedStage {
  return {
    name: trainable.join("+"),
    index: 0,
    trainable,
    train_bn: false,
    bn: "train",
    epochs: 1,
    size,
    batch_size: Number(o.batch),
    lr: { kind: "fixed", min: 1e-4, max: 1e-3 },
    schedule: { name: "constant" },
  };
}

/** CPU seconds of this process (all threads) over the last `epochSeconds` call: steadier than wall time when others share the cores. */
let lastCpu = 0;

async function epochSeconds(built: BuiltModel, m: tf.LayersModel, d: TrainData, s: ResolvedStage): Promise<number> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await runStage({
    model: m,
    groups: built.groups.map((g) => g.name),
    setTrainable: (trainable, trainBn) => {
      setTrainable(built, trainable, trainBn);
      return new Map(
        [...trainableVariablesByGroup(built)]
          .filter(([, v]) => v.length > 0)
          .map(([g, v]) => [g, v.map((lv) => lv.read() as tf.Variable)]),
      );
    },
    stage: s,
    optimizer: loaded.config.train.optimizer,
    microBatch: Number(o.batch),
    data: d,
    fold,
    seed: 42,
    hooks: [],
    monitor: "valid.accuracy",
    mode: "max",
  });
  const c = process.cpuUsage(c0);
  lastCpu = (c.user + c.system) / 1e6;
  return (performance.now() - t0) / 1000;
}

console.error(
  `ResNet50 @ ${size}px, ${fold.train.length} train + ${fold.valid.length} valid Kimia tiles, batch ${o.batch}, ` +
    `backend ${backend.name}${backend.threads ? ` (${backend.threads} threads)` : ""}`,
);
for (const trainable of [["head"], ["late", "head"]]) {
  const s = stage(trainable);
  const plainModel = await model();
  await epochSeconds(plainModel, plainModel.model, data, { ...s, epochs: 0 }); // warm-up: kernels, decode cache
  const plain = await epochSeconds(plainModel, plainModel.model, data, s);
  const plainCpu = lastCpu;
  plainModel.model.dispose();
  const cachedModel = await model();
  const cache = await prepareActivationCache({
    built: cachedModel,
    stage: s,
    augment: loaded.config.data.augment,
    data,
    fold,
  });
  if ("reason" in cache) throw new Error(cache.reason);
  // Epoch 1 computes the prefix outputs it needs (lazily); the same epoch again finds them cached.
  const first = await epochSeconds(cachedModel, cache.model, cache.data, s);
  const cached = await epochSeconds(cachedModel, cache.model, cache.data, s);
  const cachedCpu = lastCpu;
  cache.dispose();
  console.log(
    JSON.stringify({
      stage: trainable.join("+"),
      cut: cache.record.cut_layer,
      images: fold.train.length,
      uncached_epoch_s: +plain.toFixed(2),
      cached_epoch_s: +cached.toFixed(3),
      speedup: +(plain / cached).toFixed(1),
      uncached_epoch_cpu_s: +plainCpu.toFixed(2),
      cached_epoch_cpu_s: +cachedCpu.toFixed(3),
      cpu_speedup: +(plainCpu / cachedCpu).toFixed(1),
      first_cached_epoch_s: +first.toFixed(2),
      cache_mb: +(cache.record.bytes / 2 ** 20).toFixed(1),
    }),
  );
}

/**
 * The activation cache's fill on each inference engine (issue 19 item 4): images/s of the frozen
 * ResNet50 prefix (head-only stage: stem..conv5, pooled) computed through the real cache code
 * (`prepareActivationCache`, dihedral view 0 of real Kimia tiles), tfjs-wasm against ONNX Runtime,
 * at each size, in ONE process with the engines alternating so a shared machine's load hits both
 * alike. Random init: the speed does not depend on the weights. Also checks the two engines' rows
 * agree (max difference relative to the largest activation).
 *
 *   pnpm exec tsx bench/cache-fill.ts [--images 32] [--sizes 128,224] [--batch 16] [--threads 2]
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { ResolvedStage } from "../shared/src";
import { selectBackend } from "../runner/src/backend";
import { loadConfig } from "../runner/src/config";
import { loadDataset } from "../runner/src/data";
import { buildModel } from "../runner/src/model";
import { prepareActivationCache } from "../runner/src/train/activation-cache/cache";
import { trainDataOf } from "../runner/src/train/loop/data-adapter";
import type { TrainData } from "../runner/src/train/loop/data";

const { values: o } = parseArgs({
  options: {
    images: { type: "string", default: "32" },
    sizes: { type: "string", default: "128,224" },
    batch: { type: "string", default: "16" },
    threads: { type: "string", default: "2" },
  },
});
const root = join(import.meta.dirname, "..");
const backend = await selectBackend("wasm", { threads: Number(o.threads) });
const loaded = await loadConfig(join(root, "configs/kimia960-resnet50.yaml"), { set: ["model.pretrained=none"] });
const dataset = await loadDataset(loaded.config.data, { seed: 42, baseDir: join(root, "configs") });
const full = trainDataOf(dataset, loaded.config.data, "caffe");
const items = full.folds[0]!.train.slice(0, Number(o.images));
const data: TrainData = { ...full, folds: [{ id: null, train: items, valid: [] }] };
const built = await buildModel(
  {
    backbone: "resnet50",
    pretrained: "none",
    width: 1,
    head: { dropout: 0.5, hidden: 0 },
    groups: { body: ["stem", "conv2", "conv3", "conv4", "conv5"], head: ["head"] },
  },
  data.classes.length,
  { seed: 42 },
);

const stageAt = (size: number): ResolvedStage => ({
  name: "head",
  index: 0,
  trainable: ["head"],
  train_bn: false,
  bn: "train",
  epochs: 1,
  size,
  batch_size: Number(o.batch),
  lr: { kind: "fixed", min: 1e-3, max: 1e-3 },
  schedule: { name: "constant" },
});

/** Fills view 0 of every image; returns images/s of the prefix passes, the engine and the rows. */
async function fill(size: number, engine: "tfjs" | "onnx") {
  const cache = await prepareActivationCache({
    built,
    stage: stageAt(size),
    augment: { ...loaded.config.data.augment, dihedral: false },
    data,
    fold: data.folds[0]!,
    engine,
  });
  if ("reason" in cache) throw new Error(cache.reason);
  const rows = await cache.data.input(items, size, null);
  const values = (await rows.data()) as Float32Array;
  rows.dispose();
  cache.dispose();
  const { seconds, engine: used, engine_open_seconds: open = 0 } = cache.record;
  return { ips: items.length / seconds, steady: items.length / (seconds - open), open, engine: used ?? "?", values };
}

console.log(
  `cache fill, ResNet50 prefix to conv5 (pooled), ${items.length} Kimia tiles, batch ${o.batch}, ` +
    `tfjs ${backend.name} ${backend.threads ?? 1} threads, ORT default threads`,
);
for (const size of o.sizes!.split(",").map(Number)) {
  await fill(size, "tfjs"); // warm-up: decode cache, wasm kernels
  const t = await fill(size, "tfjs");
  const x = await fill(size, "onnx");
  let diff = 0;
  let scale = 0;
  t.values.forEach(
    (v, i) => ((diff = Math.max(diff, Math.abs(v - x.values[i]!))), (scale = Math.max(scale, Math.abs(v)))),
  );
  console.log(
    `  ${size} px  ${t.engine} ${t.ips.toFixed(2)} img/s   ${x.engine} ${x.ips.toFixed(2)} img/s   ` +
      `ORT/tfjs ${(x.ips / t.ips).toFixed(2)}x   (without the ${x.open.toFixed(1)} s conversion: ` +
      `${x.steady.toFixed(2)} img/s, ${(x.steady / t.steady).toFixed(2)}x)   rows agree to ${(diff / scale).toExponential(1)} relative`,
  );
}

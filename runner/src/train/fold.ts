/**
 * Trains one model through every stage on one train/valid partition (the only one for holdout, one
 * per fold for k-fold), wiring the hooks: events, checkpoints, early stopping, and the caller's.
 * Returns what the summary needs from it.
 */
import type { ResolvedConfig } from "@tessera/shared";
import type * as tf from "../tf";
import { buildModel } from "../model";
import { freezeForStage } from "./loop/step";
import { earlyStopping, eventHooks, type Emit } from "./loop/callbacks";
import { checkpointing } from "./checkpoints/checkpointing";
import { markFrozen } from "./checkpoints/frozen-part";
import { trainDataOf } from "./loop/data-adapter";
import type { TrainData, TrainFold } from "./loop/data";
import { evaluate, type EvalResult } from "../inference/evaluate";
import type { EpochLogs, TrainHooks } from "./loop/hooks";
import { runStage } from "./loop/stage";
import { foldSafety, type RunSafety } from "./crash-safety";
import { stageModelAndData, type ActivationCachePool } from "./activation-cache/cache";
import type { LoadedDataset } from "../data";
import { writeFoldTta } from "./fold-tta";
import { openInferer } from "../inference/engine";

export interface FoldResult {
  fold: number | null;
  /** The last finished epoch's logs, or null when no epoch finished. */
  last: EpochLogs | null;
  best: { stage: string; epoch: number; value: number } | null;
  tta: EvalResult | null;
  data: TrainData;
  model: tf.LayersModel;
  /** Why training stopped before the planned end (early stopping, interrupt), or null. */
  stopped: string | null;
}

export interface FoldOptions {
  config: ResolvedConfig;
  dataset: LoadedDataset;
  foldIndex: number;
  /** The config file's folder: a relative `pretrained:` path is relative to it. */
  baseDir: string;
  runDir: string;
  emit: Emit;
  hooks: TrainHooks[];
  /** Set by an interrupt: no further stage starts. */
  stopRun: () => boolean;
  /** Resume point, interrupt and seeded randomness for this run (see crash-safety.ts). */
  safety?: RunSafety;
  /** The run's activation rows, shared by its stages and folds (see activation-cache.ts). */
  cachePool?: ActivationCachePool;
  /** Rows shared on disk with other processes (a sweep's trials); see activation-cache/share.ts. */
  share?: { root: string; dataKey: string };
}

/** Trains every stage on one fold; the model is fresh (seeded) for each fold. */
export async function trainFold(opts: FoldOptions): Promise<FoldResult> {
  const { config } = opts;
  const built = await buildModel(config.model, opts.dataset.classes.length, {
    seed: config.seed,
    baseDir: opts.baseDir,
  });
  const data = trainDataOf(opts.dataset, config.data, built.preprocessing);
  const fold: TrainFold = data.folds[opts.foldIndex]!;
  let bestSoFar: () => { stage: string; epoch: number; value: number } | null = () => null;
  let stopperState: () => { best: number | null; wait: number } | null = () => null;
  const safety = opts.safety
    ? foldSafety(opts.safety, {
        model: built.model,
        foldIndex: opts.foldIndex,
        emit: opts.emit,
        runBest: () => bestSoFar(),
        earlyStopping: () => stopperState(),
        info: {
          format: 1,
          monitor: config.checkpoint.monitor,
          classes: data.classes,
          preprocessing: built.preprocessing,
        },
      })
    : null;
  const ckpt = checkpointing({
    runDir: opts.runDir,
    model: built.model,
    monitor: config.checkpoint.monitor,
    mode: config.checkpoint.mode,
    classes: data.classes,
    preprocessing: built.preprocessing,
    sizes: Object.fromEntries(config.train.stages.map((s) => [s.name, s.size])),
    emit: opts.emit,
    initialBest: safety?.initialBest ?? null,
  });
  bestSoFar = () => ckpt.best();
  const stopper = config.early_stopping
    ? earlyStopping(config.early_stopping, safety?.initialEarlyStopping ?? null)
    : null;
  if (stopper) stopperState = () => stopper.state();
  let last: EpochLogs | null = null;
  const keepLast: TrainHooks = {
    onEpochEnd: (logs) => {
      last = logs;
    },
  };
  const hooks = [
    eventHooks(opts.emit),
    ckpt,
    ...(stopper ? [stopper] : []),
    keepLast,
    ...opts.hooks,
    ...(safety?.hooks ?? []),
  ];
  let stopped: string | null = null;
  for (const stage of config.train.stages) {
    if (opts.stopRun()) break;
    if (safety?.skipStage(stage)) continue;
    // Frozen prefix + train_bn false + no random colour/crop: train the suffix on cached activations.
    const cache = await stageModelAndData({
      built,
      stage,
      augment: config.data.augment,
      data,
      fold,
      runDir: opts.runDir,
      engine: config.inference_engine,
      ...(opts.cachePool ? { pool: opts.cachePool } : {}),
      ...(opts.share ? { share: opts.share } : {}),
    });
    // Checkpoints of this stage link the prefix's unchanged weights instead of rewriting them.
    const unmark =
      cache.frozenWeights.length > 0
        ? markFrozen(built.model, { names: new Set(cache.frozenWeights), runDir: opts.runDir })
        : () => undefined;
    const end = await runStage({
      model: cache.model,
      groups: built.groups.map((g) => g.name),
      setTrainable: (trainable, trainBn, bn) => freezeForStage(built, trainable, trainBn, bn),
      stage,
      optimizer: config.train.optimizer,
      microBatch: config.train.micro_batch,
      recompute: config.train.recompute,
      data: cache.data,
      fold,
      seed: config.seed,
      hooks,
      monitor: config.checkpoint.monitor,
      mode: config.checkpoint.mode,
      ...safety?.stageOptions(stage),
    }).finally(() => {
      unmark();
      cache.dispose();
    });
    if (end.stopped) stopped = end.stopped;
  }
  let tta: EvalResult | null = null;
  const finalStage = config.train.stages.at(-1)!;
  if (config.tta && fold.valid.length > 0) {
    // The final weights no longer change: 8 views of every validation image, on the fast engine.
    const inferer = await openInferer(built.model, {
      engine: config.inference_engine,
      size: finalStage.size,
      output: "classifier",
    });
    tta = await evaluate({
      model: inferer,
      input: (indices, size) => data.input(indices, size, null),
      indices: fold.valid,
      labels: data.labels,
      classes: data.classes,
      size: finalStage.size,
      batchSize: finalStage.batch_size,
      tta: true,
    }).finally(() => inferer.dispose());
    // The events do not carry TTA: kept on disk so a resumed k-fold run can still average it.
    writeFoldTta(opts.runDir, fold.id, tta.accuracy);
  }
  return { fold: fold.id, last, best: ckpt.best(), tta, data, model: built.model, stopped };
}

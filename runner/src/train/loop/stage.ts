/**
 * One training stage on a model that carries over from the previous one: set what trains, pick the
 * per-group LRs (running the LR finder first for `lr: {find: true}`), then epochs of batches with
 * the schedule scaling every group's LR (and setting momentum/beta1 for one-cycle), a validation
 * pass after each epoch, and the hooks. The optimizer state starts empty every stage, like fastai.
 */
import * as tf from "../../tf";
import {
  groupLrs,
  scheduleAt,
  type BnMode,
  type Monitor,
  type ResolvedOptimizer,
  type ResolvedStage,
} from "@tessera/shared";
import { ExitError } from "../../errors";
import { mulberry32, seedOf } from "../../data/rng";
import { improves, monitorValue } from "./callbacks";
import { evaluate } from "../../inference/evaluate";
import type { TrainData, TrainFold } from "./data";
import { combineHooks, type LoopControl, type StageEndLogs, type TrainHooks } from "./hooks";
import { findLr } from "../lr-find/find";
import { passOrder, stageBatches, stageSteps } from "../lr-find/batches";
import { GroupOptimizer } from "./optim";
import type { LiveStage, StageResume } from "../resume/plan";
import { trainStep, type GroupVariables } from "./step";

export interface StageContext {
  model: tf.LayersModel;
  /** All group names in network order. */
  groups: string[];
  /** Makes `stage.trainable` train (and BN as `train_bn` and `bn` say); returns the variables per group. */
  setTrainable: (trainable: string[], trainBn: boolean, bn: BnMode) => GroupVariables;
  stage: ResolvedStage;
  optimizer: ResolvedOptimizer;
  microBatch: number;
  /** `train.recompute`: gradient checkpointing per ResNet block. @default false */
  recompute?: boolean;
  data: TrainData;
  fold: TrainFold;
  seed: number;
  /** Called in order for each hook. */
  hooks: TrainHooks[];
  /** The checkpoint monitor: what a stage's `best` epoch means. */
  monitor: Monitor;
  mode: "max" | "min";
  /** Continue from a resume point's position instead of the stage's start. */
  resume?: StageResume;
  /** Told the loop state after every batch and epoch (the resume-point writer listens). */
  onState?: (state: LiveStage) => void;
}

/**
 * Dropout draws from `Math.random` (tfjs takes no seed there). Seeding it from the position right
 * before each step makes the draws a function of (seed, fold, stage, epoch, batch): a resumed run
 * draws what an uninterrupted one drew, whatever else used `Math.random` in between (e.g. cache
 * file names).
 */
function seedDropout(...parts: (string | number)[]): void {
  Math.random = mulberry32(seedOf(...parts));
}

/** Thrown when the loss stops being finite; the message says where and at which LRs. */
export class DivergedError extends ExitError {
  constructor(
    message: string,
    readonly stage: string,
    readonly epoch: number,
  ) {
    super(message, 1);
    this.name = "DivergedError";
  }
}

/** Trains one stage; returns its best epoch by `monitor` and why it stopped early, if it did. */
export async function runStage(ctx: StageContext): Promise<StageEndLogs> {
  const { model, stage, data, fold } = ctx;
  const hooks = combineHooks(ctx.hooks);
  const foldId = fold.id;
  const variables = ctx.setTrainable(stage.trainable, stage.train_bn, stage.bn);
  const { bs, stepsPerEpoch } = stageSteps(fold, stage);
  const totalSteps = stepsPerEpoch * stage.epochs;
  const order = (epoch: number) => passOrder(ctx.seed, fold, stage, epoch);
  const batchOf = async (indices: number[], augSeed: number) => ({
    x: await data.input(indices, stage.size, { seed: augSeed }),
    y: tf.tensor1d(
      indices.map((i) => data.labels[i]!),
      "int32",
    ),
  });

  let found: number | undefined;
  if (stage.lr.kind === "find" && !ctx.resume) {
    const lrCfg = stage.lr;
    const res = await findLr({
      model,
      variables,
      optimizer: ctx.optimizer,
      numClasses: data.classes.length,
      microBatch: ctx.microBatch,
      recompute: ctx.recompute ?? false,
      steps: lrCfg.steps,
      start: lrCfg.start,
      end: lrCfg.end,
      batch: stageBatches({ data, fold, stage, seed: ctx.seed }),
      onStep: (p) => hooks.onLrFindStep({ ...p, stage: stage.name, fold: foldId }),
    });
    found = res.suggestions[lrCfg.suggest];
    await hooks.onLrFind({
      stage: stage.name,
      fold: foldId,
      points: res.points,
      suggestions: res.suggestions,
      chosen: { rule: lrCfg.suggest, lr: found },
      warning: res.warning,
    });
  }
  const lrs = ctx.resume?.lrs ?? groupLrs(stage.lr, ctx.groups, found);
  const control: LoopControl = { stopStage: false, reason: null };
  await hooks.onStageBegin(
    { stage, fold: foldId, stepsPerEpoch, batchSize: bs, lrs, trainable: stage.trainable },
    control,
  );

  const optimizer = new GroupOptimizer(ctx.optimizer);
  const resume = ctx.resume;
  if (resume) optimizer.restore(resume.optimizer);
  let step = resume?.step ?? 0;
  let best: StageEndLogs["best"] = resume?.best ?? null;
  try {
    for (let epoch = resume?.epoch ?? 1; epoch <= stage.epochs && !control.stopStage; epoch++) {
      const started = performance.now();
      const ids = order(epoch);
      const resumeHere = resume !== undefined && epoch === resume.epoch;
      let lossSum = resumeHere ? resume.lossSum : 0;
      for (let b = resumeHere ? resume.batch : 0; b < stepsPerEpoch && !control.stopStage; b++) {
        const t0 = performance.now();
        const idx = ids.slice(b * bs, (b + 1) * bs);
        const { x, y } = await batchOf(idx, seedOf(ctx.seed, "augment", foldId ?? -1, stage.index, epoch, b));
        seedDropout(ctx.seed, "dropout", foldId ?? -1, stage.index, epoch, b);
        const sched = scheduleAt(stage.schedule, step, totalSteps, stepsPerEpoch);
        const stepLrs = Object.fromEntries(Object.entries(lrs).map(([g, lr]) => [g, lr * sched.lrFactor]));
        let loss: number;
        try {
          loss = await trainStep({
            model,
            x,
            y,
            numClasses: data.classes.length,
            variables,
            optimizer,
            lrs: stepLrs,
            mom: sched.momentum,
            microBatch: ctx.microBatch,
            recompute: ctx.recompute ?? false,
          });
        } finally {
          tf.dispose([x, y]);
        }
        step += 1;
        if (!Number.isFinite(loss)) {
          const at = Object.entries(stepLrs)
            .map(([g, lr]) => `${g}=${lr.toExponential(2)}`)
            .join(", ");
          throw new DivergedError(
            `training diverged: the loss became ${loss} in stage '${stage.name}' epoch ${epoch} step ${step} (LRs ${at}); ` +
              `the stage was stopped and the last good checkpoint kept. Try a lower LR.`,
            stage.name,
            epoch,
          );
        }
        lossSum += loss;
        ctx.onState?.({ epoch, batch: b + 1, step, lossSum, best, lrs, optimizer });
        const seconds = (performance.now() - t0) / 1000;
        await hooks.onBatchEnd(
          {
            stage: stage.name,
            fold: foldId,
            epoch,
            step,
            batch: b + 1,
            batches: stepsPerEpoch,
            loss,
            lr: stepLrs,
            images_per_s: seconds > 0 ? idx.length / seconds : 0,
          },
          control,
        );
      }
      const ev = await evaluate({
        model,
        input: (indices, size) => data.input(indices, size, null),
        indices: fold.valid,
        labels: data.labels,
        classes: data.classes,
        size: stage.size,
        batchSize: bs,
      });
      const trainLoss = lossSum / stepsPerEpoch;
      const value = monitorValue(
        { train_loss: trainLoss, valid_loss: ev.loss, valid_accuracy: ev.accuracy },
        ctx.monitor,
      );
      if (improves(value, best?.value ?? null, ctx.mode)) best = { epoch, value };
      ctx.onState?.({ epoch: epoch + 1, batch: 0, step, lossSum: 0, best, lrs, optimizer });
      await hooks.onEpochEnd(
        {
          stage: stage.name,
          fold: foldId,
          epoch,
          epochs: stage.epochs,
          step,
          train_loss: trainLoss,
          valid_loss: ev.loss,
          valid_accuracy: ev.accuracy,
          per_class: ev.perClass,
          confusion: ev.confusion,
          seconds: (performance.now() - started) / 1000,
          eval: ev,
          validIndices: fold.valid,
        },
        control,
      );
    }
  } finally {
    optimizer.reset();
  }
  const end: StageEndLogs = { stage: stage.name, fold: foldId, best, stopped: control.reason };
  await hooks.onStageEnd(end);
  return end;
}

/**
 * The LR finder on a real model: the sweep of `lr-sweep.ts` with one training step per LR (every
 * trainable group at the same LR, as fastai's `lr_find`), then the weights, BatchNorm statistics
 * and optimizer state are put back exactly as they were, and the four suggestions are computed.
 */
import * as tf from "../../tf";
import type { LrSuggestion, ResolvedOptimizer } from "@tessera/shared";
import { GroupOptimizer } from "../loop/optim";
import { lrFindWarning, suggestLrs, type LrPoint } from "./suggest";
import { sweep } from "./sweep";
import { trainStep, type GroupVariables } from "../loop/step";

export interface LrFindOptions {
  model: tf.LayersModel;
  variables: GroupVariables;
  optimizer: ResolvedOptimizer;
  numClasses: number;
  microBatch: number;
  /** See `StepInput.recompute`. */
  recompute?: boolean;
  steps: number;
  start: number;
  end: number;
  /** The i-th training batch of the sweep (cycling through the data as needed). */
  batch: (i: number) => Promise<{ x: tf.Tensor4D; y: tf.Tensor1D }>;
  /** After each step (1-based `step` of `steps`), for progress bars and `lr_find_step` events. */
  onStep?: (p: LrPoint & { step: number; steps: number }) => Promise<void> | void;
}

export interface LrFindResult {
  points: LrPoint[];
  suggestions: Record<LrSuggestion, number>;
  /** Why the suggestions should not be trusted (see `lrFindWarning`), or null. */
  warning: string | null;
}

/** Runs the sweep and restores every weight of the model (trainable or not) afterwards. */
export async function findLr(opts: LrFindOptions): Promise<LrFindResult> {
  // All weights, not just trainable ones: BatchNorm moving statistics change in training mode too.
  const saved = opts.model.weights.map((w) => w.read().clone());
  const optimizer = new GroupOptimizer(opts.optimizer);
  try {
    const points = await sweep({
      steps: opts.steps,
      start: opts.start,
      end: opts.end,
      ...(opts.onStep
        ? { onPoint: (p: LrPoint, i: number) => opts.onStep!({ ...p, step: i + 1, steps: opts.steps }) }
        : {}),
      step: async (lr, i) => {
        const { x, y } = await opts.batch(i);
        try {
          const lrs = Object.fromEntries([...opts.variables.keys()].map((g) => [g, lr]));
          return await trainStep({
            model: opts.model,
            x,
            y,
            numClasses: opts.numClasses,
            variables: opts.variables,
            optimizer,
            lrs,
            mom: null,
            microBatch: opts.microBatch,
            recompute: opts.recompute ?? false,
          });
        } finally {
          tf.dispose([x, y]);
        }
      },
    });
    const suggestions = suggestLrs(points, opts.steps);
    return { points, suggestions, warning: lrFindWarning(points, opts.steps, suggestions) };
  } finally {
    opts.model.weights.forEach((w, i) => w.write(saved[i]!));
    tf.dispose(saved);
    optimizer.reset();
  }
}

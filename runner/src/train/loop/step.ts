/**
 * One optimiser step of the custom loop (not `model.fit`): forward in training mode (BatchNorm
 * uses batch statistics and updates its moving ones), softmax cross-entropy on the logits,
 * `tf.variableGrads` over the trainable variables only, gradients summed over micro-batches when
 * `micro_batch` < batch size, then each group's variables stepped with that group's LR.
 */
import * as tf from "../../tf";
import { setTrainable, trainableVariablesByGroup, type BuiltModel } from "../../model";
import type { BnMode } from "@tessera/shared";
import type { GroupOptimizer } from "./optim";
import { recomputedGrads } from "./recompute";

/** The variables a step updates, per layer group (frozen groups are simply absent). */
export type GroupVariables = Map<string, tf.Variable[]>;

export interface StepInput {
  model: tf.LayersModel;
  /** Normalised images (NHWC float32) or, with the activation cache, cached activations; batch first. */
  x: tf.Tensor;
  /** Class indices. */
  y: tf.Tensor1D;
  numClasses: number;
  variables: GroupVariables;
  optimizer: GroupOptimizer;
  /** This step's LR of every group. */
  lrs: Record<string, number>;
  /** This step's momentum/beta1, or null for the configured one. */
  mom: number | null;
  /** Rows per forward/backward pass; the gradient is accumulated over the whole batch. */
  microBatch: number;
  /** Recompute each ResNet block in the backward pass instead of keeping its activations (recompute.ts). */
  recompute?: boolean;
}

/** Mean softmax cross-entropy of logits against class indices. */
export function lossOf(logits: tf.Tensor, y: tf.Tensor1D, numClasses: number): tf.Scalar {
  return tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.cast(y, "int32"), numClasses), logits) as tf.Scalar);
}

/** Runs one step and returns the batch's mean loss (NaN/inf is returned, not thrown). */
export async function trainStep(input: StepInput): Promise<number> {
  const { model, x, y, numClasses, variables, optimizer, lrs, mom } = input;
  const batch = x.shape[0];
  const micro = Math.max(1, Math.min(input.microBatch, batch));
  const varList = [...variables.values()].flat();
  let lossSum = 0;
  let grads: Record<string, tf.Tensor> | null = null;
  for (let start = 0; start < batch; start += micro) {
    const size = Math.min(micro, batch - start);
    // Each chunk's mean loss is weighted by its share of the batch, so the summed gradient is the
    // gradient of the whole batch's mean loss.
    const weight = size / batch;
    const { value, grads: g } = tf.tidy(() => {
      // Along the batch axis only: x is images (rank 4) or cached activations (rank 2 or 4).
      const xs = size === batch ? x : tf.slice(x, start, size);
      const ys = size === batch ? y : tf.slice(y, start, size);
      const loss = (logits: tf.Tensor) => tf.mul(lossOf(logits, ys, numClasses), weight) as tf.Scalar;
      if (input.recompute) return recomputedGrads(model, xs, loss, varList);
      return tf.variableGrads(() => loss(model.apply(xs, { training: true }) as tf.Tensor), varList);
    });
    // An async read: the webgpu backend cannot read synchronously in Node.
    lossSum += (await value.data())[0]!;
    value.dispose();
    if (grads === null) {
      grads = g;
    } else {
      const acc: Record<string, tf.Tensor> = grads;
      for (const [name, t] of Object.entries(g)) {
        const prev = acc[name]!;
        acc[name] = tf.add(prev, t);
        prev.dispose();
        t.dispose();
      }
    }
  }
  if (Number.isFinite(lossSum) && grads) {
    for (const [group, vars] of variables) {
      const lr = lrs[group];
      if (lr === undefined) throw new Error(`internal: no LR for layer group '${group}'`);
      for (const v of vars) {
        const g = grads[v.name];
        if (g) optimizer.apply(v, g, lr, mom);
      }
    }
  }
  if (grads) tf.dispose(Object.values(grads));
  return lossSum;
}

/**
 * Freezes the model as a stage says (`setTrainable`) and returns what the optimizer steps: each
 * group that still has trainable variables, in group order.
 */
export function freezeForStage(
  built: BuiltModel,
  trainable: string[],
  trainBn: boolean,
  bn: BnMode = "train",
): GroupVariables {
  setTrainable(built, trainable, trainBn, bn);
  return new Map(
    [...trainableVariablesByGroup(built)]
      .filter(([, vars]) => vars.length > 0)
      .map(([group, vars]) => [group, vars.map((v) => v.read() as tf.Variable)]),
  );
}

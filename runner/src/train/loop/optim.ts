/**
 * Per-group optimizers, written by hand because tfjs's optimizers fix their learning rate at
 * construction and have neither weight decay nor AdamW. Each update is a small pure function over
 * tensors (`adamUpdate`, `sgdUpdate`) taking this step's LR and momentum, so schedules can move
 * both every step and unit tests can check them against hand-computed numbers. `GroupOptimizer`
 * applies them to variables, keeping the moment buffers per variable. The formulas are fastai v2's
 * (`Adam` with dampened first moment and bias correction, `SGD` with undampened momentum).
 */
import * as tf from "../../tf";
import type { ResolvedOptimizer } from "@tessera/shared";

/** Hyper-parameters of one step; `lr` and `mom` (SGD momentum or Adam beta1) can change each step. */
export interface StepParams {
  lr: number;
  mom: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Decoupled weight decay (AdamW): `p -= lr * wd * p` instead of adding `wd * p` to the gradient. */
  decoupled: boolean;
}

/** One Adam step; `step` is 1-based. Returns the new parameter and moments (caller disposes). */
export function adamUpdate(
  p: tf.Tensor,
  g: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  step: number,
  hp: StepParams,
): { p: tf.Tensor; m: tf.Tensor; v: tf.Tensor } {
  return tf.tidy(() => {
    let grad = g;
    let param = p;
    if (hp.weightDecay > 0 && hp.decoupled) param = tf.mul(param, 1 - hp.lr * hp.weightDecay);
    if (hp.weightDecay > 0 && !hp.decoupled) grad = tf.add(grad, tf.mul(p, hp.weightDecay));
    const m2 = tf.add(tf.mul(m, hp.mom), tf.mul(grad, 1 - hp.mom));
    const v2 = tf.add(tf.mul(v, hp.beta2), tf.mul(tf.square(grad), 1 - hp.beta2));
    const debias1 = 1 - hp.mom ** step;
    const debias2 = 1 - hp.beta2 ** step;
    const denom = tf.add(tf.sqrt(tf.div(v2, debias2)), hp.eps);
    const p2 = tf.sub(param, tf.mul(tf.div(m2, denom), hp.lr / debias1));
    return { p: p2, m: m2, v: v2 };
  });
}

/** One SGD step with (undampened) momentum and L2 weight decay. */
export function sgdUpdate(
  p: tf.Tensor,
  g: tf.Tensor,
  buf: tf.Tensor,
  hp: StepParams,
): { p: tf.Tensor; buf: tf.Tensor } {
  return tf.tidy(() => {
    let grad = g;
    let param = p;
    if (hp.weightDecay > 0 && hp.decoupled) param = tf.mul(param, 1 - hp.lr * hp.weightDecay);
    if (hp.weightDecay > 0 && !hp.decoupled) grad = tf.add(grad, tf.mul(p, hp.weightDecay));
    const buf2 = hp.mom > 0 ? tf.add(tf.mul(buf, hp.mom), grad) : grad;
    return { p: tf.sub(param, tf.mul(buf2, hp.lr)), buf: buf2 };
  });
}

interface Slot {
  m: tf.Variable;
  v: tf.Variable | null;
  step: number;
}

/**
 * An optimizer over many variables, each stepped with the LR of its layer group. State is kept
 * per variable name and dropped by `reset()` (fastai resets it at every stage).
 */
export class GroupOptimizer {
  private slots = new Map<string, Slot>();

  constructor(readonly config: ResolvedOptimizer) {}

  /** The momentum (SGD) or beta1 (Adam) a schedule does not override. */
  get defaultMomentum(): number {
    return this.config.name === "sgd" ? this.config.momentum : this.config.beta1;
  }

  /**
   * Applies one update to `variable` with its gradient. `mom` is this step's momentum/beta1 (from
   * a one-cycle schedule) or `null` for the configured one.
   */
  apply(variable: tf.Variable, grad: tf.Tensor, lr: number, mom: number | null): void {
    const c = this.config;
    const hp: StepParams = {
      lr,
      mom: mom ?? this.defaultMomentum,
      beta2: c.beta2,
      eps: c.eps,
      weightDecay: c.weight_decay,
      decoupled: c.name === "adamw",
    };
    let slot = this.slots.get(variable.name);
    if (!slot) {
      slot = {
        m: tf.tidy(() => tf.variable(tf.zerosLike(variable), false)),
        v: c.name === "sgd" ? null : tf.tidy(() => tf.variable(tf.zerosLike(variable), false)),
        step: 0,
      };
      this.slots.set(variable.name, slot);
    }
    slot.step += 1;
    const s = slot;
    tf.tidy(() => {
      if (s.v) {
        const out = adamUpdate(variable, grad, s.m, s.v, s.step, hp);
        s.m.assign(out.m);
        s.v.assign(out.v);
        variable.assign(out.p);
      } else {
        const out = sgdUpdate(variable, grad, s.m, hp);
        s.m.assign(out.buf);
        variable.assign(out.p);
      }
    });
  }

  /** Copies of the moment buffers (the LR finder restores them afterwards). */
  snapshot(): Map<string, { m: tf.Tensor; v: tf.Tensor | null; step: number }> {
    const out = new Map<string, { m: tf.Tensor; v: tf.Tensor | null; step: number }>();
    for (const [name, s] of this.slots) out.set(name, { m: s.m.clone(), v: s.v?.clone() ?? null, step: s.step });
    return out;
  }

  /** Puts back a `snapshot()` (and disposes it); slots created since are dropped. */
  restore(snap: Map<string, { m: tf.Tensor; v: tf.Tensor | null; step: number }>): void {
    this.reset();
    for (const [name, s] of snap) {
      this.slots.set(name, { m: tf.variable(s.m, false), v: s.v ? tf.variable(s.v, false) : null, step: s.step });
      s.m.dispose();
      s.v?.dispose();
    }
  }

  /** Drops every moment buffer. */
  reset(): void {
    for (const s of this.slots.values()) {
      s.m.dispose();
      s.v?.dispose();
    }
    this.slots.clear();
  }
}

import { describe, expect, it } from "vitest";
import * as tf from "../../tf";
import { GroupOptimizer, adamUpdate, sgdUpdate, type StepParams } from "./optim";

const scalar = (t: tf.Tensor) => t.dataSync()[0]!;
const hp = (o: Partial<StepParams>): StepParams => ({
  lr: 0.1,
  mom: 0.9,
  beta2: 0.99,
  eps: 1e-5,
  weightDecay: 0,
  decoupled: false,
  ...o,
});

describe("adamUpdate", () => {
  it("matches two hand-computed Adam steps with bias correction", () => {
    // step 1: m = 0.1, v = 0.01, p = 0 - 0.01/0.1 * 0.1/(sqrt(0.01/0.01)+1e-5) = -0.0099999
    // step 2: m = 0.04, v = 0.0124, p -= 0.01/0.19 * 0.04/(sqrt(0.0124/0.0199)+1e-5)
    let p: tf.Tensor = tf.scalar(0);
    let m: tf.Tensor = tf.scalar(0);
    let v: tf.Tensor = tf.scalar(0);
    const expected = [-0.0099999, -0.01266686];
    [1, -0.5].forEach((g, i) => {
      const out = adamUpdate(p, tf.scalar(g), m, v, i + 1, hp({ lr: 0.01 }));
      ({ p, m, v } = out);
      expect(scalar(p)).toBeCloseTo(expected[i]!, 6);
    });
    expect(scalar(m)).toBeCloseTo(0.04, 7);
    expect(scalar(v)).toBeCloseTo(0.0124, 7);
  });

  it("adds L2 decay to the gradient for adam but decays the weight directly for adamw", () => {
    const g = tf.scalar(0.5);
    const zero = tf.scalar(0);
    // adam (L2): grad = 0.5 + 0.1*2 = 0.7, first step moves by lr * 0.7/(0.7+1e-5)
    const l2 = adamUpdate(tf.scalar(2), g, zero, zero, 1, hp({ weightDecay: 0.1 }));
    expect(scalar(l2.p)).toBeCloseTo(2 - 0.1 * (0.7 / 0.70001), 6);
    // adamw: p = 2 * (1 - 0.1*0.1) = 1.98, then the plain Adam step of 0.1 * 0.5/(0.5+1e-5)
    const w = adamUpdate(tf.scalar(2), g, zero, zero, 1, hp({ weightDecay: 0.1, decoupled: true }));
    expect(scalar(w.p)).toBeCloseTo(1.98 - 0.1 * (0.5 / 0.50001), 6);
  });
});

describe("sgdUpdate", () => {
  it("matches two hand-computed momentum steps with L2 decay", () => {
    // step 1: grad = 0.5 + 0.01*1 = 0.51, buf = 0.51, p = 1 - 0.1*0.51 = 0.949
    // step 2: grad = 0.5 + 0.00949, buf = 0.9*0.51 + 0.50949 = 0.96849, p = 0.949 - 0.096849
    let p: tf.Tensor = tf.scalar(1);
    let buf: tf.Tensor = tf.scalar(0);
    const expected = [0.949, 0.852151];
    for (let i = 0; i < 2; i++) {
      ({ p, buf } = sgdUpdate(p, tf.scalar(0.5), buf, hp({ weightDecay: 0.01 })));
      expect(scalar(p)).toBeCloseTo(expected[i]!, 6);
    }
    expect(scalar(buf)).toBeCloseTo(0.96849, 6);
  });

  it("is plain gradient descent without momentum", () => {
    const out = sgdUpdate(tf.tensor1d([1, 2]), tf.tensor1d([1, -1]), tf.zeros([2]), hp({ mom: 0, lr: 0.5 }));
    expect(Array.from(out.p.dataSync())).toEqual([0.5, 2.5]);
  });
});

describe("GroupOptimizer", () => {
  const config = { name: "adam", weight_decay: 0, momentum: 0.9, beta1: 0.9, beta2: 0.99, eps: 1e-5 } as const;

  it("steps variables like adamUpdate, keeps state, and starts over after reset()", () => {
    const opt = new GroupOptimizer(config);
    const x = tf.variable(tf.scalar(0));
    opt.apply(x, tf.scalar(1), 0.01, null);
    opt.apply(x, tf.scalar(-0.5), 0.01, null);
    expect(scalar(x)).toBeCloseTo(-0.01266686, 6);
    opt.reset();
    x.assign(tf.scalar(0));
    opt.apply(x, tf.scalar(1), 0.01, null);
    expect(scalar(x)).toBeCloseTo(-0.0099999, 6);
  });

  it("restores a snapshot of its moments", () => {
    const opt = new GroupOptimizer(config);
    const x = tf.variable(tf.scalar(0));
    opt.apply(x, tf.scalar(1), 0.01, null);
    const snap = opt.snapshot();
    opt.apply(x, tf.scalar(5), 0.01, null);
    opt.restore(snap);
    x.assign(tf.scalar(-0.0099999));
    opt.apply(x, tf.scalar(-0.5), 0.01, null);
    expect(scalar(x)).toBeCloseTo(-0.01266686, 6);
  });

  it("uses the step's momentum for SGD and does not leak tensors", () => {
    const opt = new GroupOptimizer({ ...config, name: "sgd" });
    const x = tf.variable(tf.scalar(1));
    opt.apply(x, tf.scalar(1), 0.1, 0.5); // buf = 1, x = 0.9
    const before = tf.memory().numTensors;
    opt.apply(x, tf.scalar(1), 0.1, 0.5); // buf = 1.5, x = 0.75
    expect(scalar(x)).toBeCloseTo(0.75, 6);
    expect(tf.memory().numTensors).toBe(before + 1); // only the gradient scalar made here
  });
});

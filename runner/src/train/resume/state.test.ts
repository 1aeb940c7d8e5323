import { existsSync, mkdirSync, mkdtempSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as tf from "../../tf";
import type { CheckpointInfo } from "../checkpoints/io";
import { GroupOptimizer } from "../loop/optim";
import { loadResumePoint, RESUME_DIR, saveResumePoint, type TrainPosition } from "./state";

function tinyModel(seed: number): tf.LayersModel {
  const input = tf.input({ shape: [4, 4, 3] });
  let y = tf.layers
    .conv2d({
      filters: 2,
      kernelSize: 3,
      name: "conv1_conv",
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
    })
    .apply(input) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization({ name: "conv1_bn" }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({ name: "avg_pool" }).apply(y) as tf.SymbolicTensor;
  y = tf.layers
    .dense({ units: 3, name: "logits", kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) })
    .apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y });
}

const OPT = { name: "adam", weight_decay: 0.01, momentum: 0.9, beta1: 0.9, beta2: 0.99, eps: 1e-5 } as const;
const info: CheckpointInfo = {
  format: 1,
  stage: "s",
  epoch: 1,
  step: 2,
  fold: null,
  monitor: "valid.accuracy",
  value: 0.5,
  classes: ["a", "b", "c"],
  preprocessing: "none",
  size: 4,
  time: "t",
};
const position: TrainPosition = {
  format: 1,
  fold_index: 0,
  fold: null,
  stage_index: 1,
  stage: "s",
  epoch: 2,
  batch: 3,
  step: 7,
  loss_sum: 2.5,
  stage_best: { epoch: 1, value: 0.5 },
  run_best: { stage: "s", epoch: 1, value: 0.5 },
  lrs: { head: 0.01 },
  early_stopping: null,
  last_seq: 41,
  attempt: 1,
};

/** A few Adam steps with fixed pseudo-gradients; returns the variables stepped. */
function step(model: tf.LayersModel, opt: GroupOptimizer, k: number): void {
  for (const w of model.trainableWeights) {
    const v = w.read() as tf.Variable;
    const g = tf.tidy(() => tf.sin(tf.add(tf.onesLike(v), k)));
    opt.apply(v, g, 0.01, null);
    g.dispose();
  }
}

const weights = (m: tf.LayersModel) => m.layers.flatMap((l) => l.getWeights().map((t) => Array.from(t.dataSync())));

describe("resume point", () => {
  it("restores weights and optimizer state so the next step matches an uninterrupted one", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "tessera-resume-"));
    const a = tinyModel(1);
    const optA = new GroupOptimizer(OPT);
    step(a, optA, 1);
    step(a, optA, 2);
    await saveResumePoint({ runDir, model: a, optimizer: optA, position, info });
    expect(existsSync(join(runDir, RESUME_DIR, "model.json"))).toBe(true);

    const b = tinyModel(99); // different initial weights: all must come from the checkpoint
    const point = await loadResumePoint(runDir);
    expect(point?.position).toEqual(position);
    point!.loadWeightsInto(b);
    const optB = new GroupOptimizer(OPT);
    optB.restore(point!.optimizerFor(b));
    point!.dispose();
    expect(weights(b)).toEqual(weights(a));
    step(a, optA, 3);
    step(b, optB, 3);
    expect(weights(b)).toEqual(weights(a));
  });

  it("is null before the first save, ignores a half-written staging folder, uses a swapped-aside one", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "tessera-resume-"));
    expect(await loadResumePoint(runDir)).toBeNull();
    const m = tinyModel(1);
    const opt = new GroupOptimizer(OPT);
    step(m, opt, 1);
    await saveResumePoint({ runDir, model: m, optimizer: opt, position, info });
    mkdirSync(join(runDir, `${RESUME_DIR}.staging-123`)); // a kill mid-write
    // A kill between "move the old one aside" and "rename the new one in":
    renameSync(join(runDir, RESUME_DIR), join(runDir, `${RESUME_DIR}.old-123`));
    const point = await loadResumePoint(runDir);
    expect(point?.position.last_seq).toBe(41);
    expect(existsSync(join(runDir, `${RESUME_DIR}.staging-123`))).toBe(false);
    point!.dispose();
  });
});

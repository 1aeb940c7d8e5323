import { describe, expect, it } from "vitest";
import type { RunEvent } from "@tessera/shared";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "../../tf";
import { GroupOptimizer } from "../loop/optim";
import { planResume, resumePointWriter } from "./plan";
import { loadResumePoint, type TrainPosition } from "./state";
import { earlierFoldResults } from "./open";

const ev = (seq: number, type: string, extra: object = {}) => ({ seq, type, ...extra }) as unknown as RunEvent;

describe("planResume", () => {
  const events = [ev(0, "run_started"), ev(1, "stage_started", { stage: "head" }), ev(2, "batch"), ev(3, "epoch")];

  it("without a resume point restarts training and supersedes everything after run_started", () => {
    expect(planResume(events, null)).toEqual({ from: { stage: "head", epoch: 1, step: 0 }, superseded_after_seq: 0 });
  });

  it("with one continues from its position and supersedes what came after its last_seq", () => {
    const position = { stage: "all", epoch: 2, step: 9, last_seq: 3 } as TrainPosition;
    expect(planResume(events, position)).toEqual({
      from: { stage: "all", epoch: 2, step: 9 },
      superseded_after_seq: 3,
    });
  });

  it("refuses finished and never-started runs", () => {
    expect(() => planResume([...events, ev(4, "run_finished")], null)).toThrow(/already finished/);
    expect(() => planResume([], null)).toThrow(/no run_started/);
  });
});

describe("resumePointWriter", () => {
  it("saves after each epoch; a stage early stopping ended resumes as finished, with the stopper's counters", async () => {
    const input = tf.input({ shape: [2] });
    const model = tf.model({
      inputs: input,
      outputs: tf.layers.dense({ units: 2, name: "logits" }).apply(input) as tf.SymbolicTensor,
    });
    const runDir = mkdtempSync(join(tmpdir(), "tessera-writer-"));
    const writer = resumePointWriter({
      runDir,
      model,
      foldIndex: 0,
      lastSeq: () => 12,
      attempt: 1,
      runBest: () => ({ stage: "s", epoch: 1, value: 0.5 }),
      earlyStopping: () => ({ best: 0.5, wait: 2 }),
      info: { format: 1, monitor: "valid.accuracy", classes: ["a", "b"], preprocessing: "none" },
    });
    const stage = { name: "s", index: 1, size: 8, epochs: 5 } as never;
    await writer.hooks.onStageBegin!(
      { stage, fold: null, stepsPerEpoch: 3, batchSize: 2, lrs: {}, trainable: [] },
      {
        stopStage: false,
        reason: null,
      },
    );
    const live = { epoch: 3, batch: 0, step: 6, lossSum: 0, best: { epoch: 1, value: 0.5 }, lrs: { head: 0.1 } };
    writer.onState({
      ...live,
      optimizer: new GroupOptimizer({
        name: "sgd",
        weight_decay: 0,
        momentum: 0.9,
        beta1: 0.9,
        beta2: 0.99,
        eps: 1e-8,
      }),
    });
    await writer.hooks.onEpochEnd!({} as never, { stopStage: false, reason: null });
    expect((await loadResumePoint(runDir))?.position).toMatchObject({
      stage_index: 1,
      epoch: 3,
      batch: 0,
      step: 6,
      last_seq: 12,
    });
    await writer.hooks.onEpochEnd!({} as never, { stopStage: true, reason: "early stopping" });
    const point = await loadResumePoint(runDir);
    expect(point?.position).toMatchObject({ epoch: 6, batch: 0, early_stopping: { best: 0.5, wait: 2 } });
    point?.dispose();
  });
});

describe("earlierFoldResults", () => {
  it("keeps the last epoch metrics of the folds finished before the resumed one", () => {
    const stage = (seq: number, fold: number) => ev(seq, "stage_started", { stage: "s", fold });
    const epoch = (seq: number, fold: number, acc: number) => ev(seq, "epoch", { fold, valid_accuracy: acc });
    const events = [
      stage(1, 0),
      epoch(2, 0, 0.5),
      epoch(3, 0, 0.7),
      stage(4, 1),
      epoch(5, 1, 0.9),
      stage(6, 2),
      epoch(7, 2, 0.1),
    ];
    const folds = earlierFoldResults(events, 2);
    expect(folds.map((f) => [f.fold, f.last.valid_accuracy])).toEqual([
      [0, 0.7],
      [1, 0.9],
    ]);
    expect(earlierFoldResults(events, null)).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import type { RunEvent, RunEventBody } from "@tessera/shared";
import { confusedPairs, runMetrics } from "./run-metrics";
import { niceTicks } from "./svg-line";

let seq = 0;
const ev = (body: RunEventBody & { fold?: number }): RunEvent => ({
  format: 1,
  seq: seq++,
  time: "t",
  attempt: 1,
  ...body,
});
const epoch = (stage: string, n: number, acc: number, fold?: number) =>
  ev({
    type: "epoch",
    stage,
    epoch: n,
    step: n,
    train_loss: 1 - acc,
    valid_loss: 1.1 - acc,
    valid_accuracy: acc,
    per_class: [],
    confusion: [
      [3, 1],
      [2, 4],
    ],
    seconds: 1,
    ...(fold === undefined ? {} : { fold }),
  });

const started = () =>
  ev({
    type: "run_started",
    run_id: "r",
    config_hash: "h",
    data_hash: "d",
    classes: ["A", "B"],
    backend: "cpu",
    seed: 1,
  });

describe("runMetrics", () => {
  it("derives best/final from epoch events when there is no summary, keeping one event per epoch", () => {
    const events = [
      started(),
      epoch("s", 0, 0.5),
      epoch("s", 1, 0.9),
      epoch("s", 1, 0.7), // the same epoch again after a resume: the later one counts
    ];
    const m = runMetrics(events, null);
    expect(m.epochs.map((p) => p.valid_accuracy)).toEqual([0.5, 0.7]);
    expect(m.best).toEqual({ value: 0.7, stage: "s", epoch: 1, fold: null });
    expect(m.final?.valid_accuracy).toBe(0.7);
    expect(m.bestLoss).toBeCloseTo(0.4);
    expect(m.mostConfused).toEqual([
      { actual: "B", predicted: "A", count: 2 },
      { actual: "A", predicted: "B", count: 1 },
    ]);
  });

  it("keeps folds apart, and sums the folds' final confusion matrices so every image counts once", () => {
    const m = runMetrics([started(), epoch("s", 0, 0.6, 0), epoch("s", 0, 0.8, 1)], null);
    expect(m.epochs.map((p) => p.fold)).toEqual([0, 1]);
    expect(m.best?.fold).toBe(1);
    expect(m.confusionOf).toBe("all folds");
    expect(m.confusion).toEqual([
      [6, 2],
      [4, 8],
    ]);
    expect(m.mostConfused[0]).toEqual({ actual: "B", predicted: "A", count: 4 });
    expect(m.perClass.map((c) => c.support)).toEqual([8, 12]);
    // A holdout run's matrix is its last epoch's.
    expect(runMetrics([started(), epoch("s", 0, 0.6)], null).confusionOf).toBe("final epoch");
  });

  it("has no metrics for a run without epochs", () => {
    const m = runMetrics([], null);
    expect([m.best, m.final, m.bestLoss, m.confusion]).toEqual([null, null, null, []]);
  });
});

describe("helpers", () => {
  it("lists confused pairs largest first, skipping the diagonal", () => {
    expect(
      confusedPairs(
        ["A", "B", "C"],
        [
          [5, 0, 2],
          [0, 5, 0],
          [1, 3, 5],
        ],
      ).map((p) => `${p.actual}${p.predicted}${p.count}`),
    ).toEqual(["CB3", "AC2", "CA1"]);
  });

  it("makes round axis ticks", () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.13, 1.07, 4)).toEqual([0.25, 0.5, 0.75, 1]);
  });
});

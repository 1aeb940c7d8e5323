import { describe, expect, it } from "vitest";
import { UsageError } from "../errors";
import { evaluateFailIf, parseFailIf } from "./fail-if";
import type { RunMetrics } from "./run-metrics";

function metrics(best: number, finalLoss: number, f1A = 0.9): RunMetrics {
  return {
    classes: ["A"],
    epochs: [],
    best: { value: best, stage: "s", epoch: 0, fold: null },
    final: { valid_accuracy: best, valid_loss: finalLoss, train_loss: 0.1 },
    bestLoss: finalLoss,
    tta: null,
    perClass: [{ class: "A", precision: f1A, recall: f1A, f1: f1A, support: 10 }],
    confusion: [],
    confusionOf: "final epoch",
    mostConfused: [],
    lrFinds: [],
    stages: [],
    folds: null,
    seconds: null,
  };
}

const holds = (expr: string, a: RunMetrics, b: RunMetrics) =>
  evaluateFailIf(parseFailIf(expr), a, b).map((r) => r.holds);

describe("--fail-if", () => {
  it("reads % as percentage points of the b - a delta", () => {
    expect(parseFailIf("valid.accuracy < -0.5%")[0]).toMatchObject({ op: "<", threshold: -0.005 });
    expect(holds("valid.accuracy < -0.5%", metrics(0.98, 0.1), metrics(0.97, 0.1))).toEqual([true]);
    expect(holds("valid.accuracy < -0.5%", metrics(0.98, 0.1), metrics(0.976, 0.1))).toEqual([false]);
    // exactly -0.5 pp is not below -0.5 pp, despite 0.975 - 0.98 being -0.0050000000000000044 in floats
    expect(holds("valid.accuracy < -0.5%", metrics(0.98, 0.1), metrics(0.975, 0.1))).toEqual([false]);
  });

  it("compares other metrics in their own unit and joins clauses with or", () => {
    const r = holds("valid.accuracy<-1% or valid.loss.final > 0.05", metrics(0.9, 0.1), metrics(0.9, 0.2));
    expect(r).toEqual([false, true]);
  });

  it("knows per-class metrics", () => {
    expect(holds("class.A.f1 <= -0.1", metrics(0.9, 0.1, 0.9), metrics(0.9, 0.1, 0.7))).toEqual([true]);
  });

  it("says a metric missing on a side cannot be evaluated", () => {
    const b = { ...metrics(0.9, 0.1), tta: null };
    expect(holds("tta.accuracy < 0", metrics(0.9, 0.1), b)).toEqual([null]);
  });

  it.each([
    ["", /expected a metric name, found the end/],
    ["valid.accuracy", /expected a comparison/],
    ["valid.accuracy =< 1", /expected a number, found "< 1"|expected a comparison/],
    ["valid.accuracy < x", /expected a number, found "x"/],
    ["valid.accuracy < 1% extra", /expected "or" or the end, found "extra"/],
    ["valid.acuracy < 1", /unknown metric "valid.acuracy"; did you mean "valid.accuracy"/],
    ["valid.loss < 1%", /"%" means percentage points/],
    ["valid.acc < 1", /did you mean "valid.accuracy"/],
  ])("refuses %j as a usage error", (expr, message) => {
    const run = () => parseFailIf(expr);
    expect(run).toThrow(UsageError);
    expect(run).toThrow(message);
  });
});

import { describe, expect, it } from "vitest";
import { accuracyOf, confusionMatrix, meanStd, mostConfused, perClassScores, topLossIndices } from "./metrics";

// 3 classes, 8 samples: truth A A A B B C C C, predicted A A B B A C C A.
const truth = [0, 0, 0, 1, 1, 2, 2, 2];
const pred = [0, 0, 1, 1, 0, 2, 2, 0];
const classes = ["A", "B", "C"];

describe("confusion matrix and scores", () => {
  const m = confusionMatrix(truth, pred, 3);

  it("counts rows = true, cols = predicted", () => {
    expect(m).toEqual([
      [2, 1, 0],
      [1, 1, 0],
      [1, 0, 2],
    ]);
  });

  it("gives accuracy from the diagonal", () => {
    expect(accuracyOf(m)).toBeCloseTo(5 / 8, 10);
    expect(accuracyOf([[0]])).toBe(0);
  });

  it("gives per-class precision, recall, F1 and support by hand", () => {
    const s = perClassScores(m, classes);
    // A: tp 2, predicted A 4, support 3 -> P 0.5, R 2/3, F1 = 2*0.5*0.667/1.1667 = 0.5714
    expect(s[0]!.precision).toBeCloseTo(0.5, 10);
    expect(s[0]!.recall).toBeCloseTo(2 / 3, 10);
    expect(s[0]!.f1).toBeCloseTo(4 / 7, 10);
    expect(s[0]!.support).toBe(3);
    // B: tp 1, predicted 2, support 2 -> 0.5, 0.5, 0.5
    expect([s[1]!.precision, s[1]!.recall, s[1]!.f1]).toEqual([0.5, 0.5, 0.5]);
    // C: tp 2, predicted 2, support 3 -> P 1, R 2/3, F1 0.8
    expect(s[2]!.precision).toBe(1);
    expect(s[2]!.f1).toBeCloseTo(0.8, 10);
  });

  it("scores a never-predicted, never-present class as 0 rather than NaN", () => {
    const s = perClassScores(confusionMatrix([0, 0], [0, 0], 2), ["x", "y"]);
    expect(s[1]).toEqual({ class: "y", precision: 0, recall: 0, f1: 0, support: 0 });
  });

  it("lists most confused pairs, largest first", () => {
    const big = [
      [5, 0, 3],
      [1, 4, 0],
      [0, 2, 6],
    ];
    expect(mostConfused(big, classes)).toEqual([
      { actual: "A", predicted: "C", count: 3 },
      { actual: "C", predicted: "B", count: 2 },
      { actual: "B", predicted: "A", count: 1 },
    ]);
    expect(mostConfused(big, classes, 2)).toHaveLength(2);
  });

  it("rejects out-of-range class indices with the position", () => {
    expect(() => confusionMatrix([0, 3], [0, 0], 3)).toThrow(/at 1/);
  });
});

describe("topLossIndices and meanStd", () => {
  it("orders by loss, ties by index", () => {
    expect(topLossIndices([0.1, 2, 0.5, 2, 0.3], 3)).toEqual([1, 3, 2]);
  });
  it("gives population mean and std", () => {
    const { mean, std } = meanStd([0.9, 1.0, 0.8]);
    expect(mean).toBeCloseTo(0.9, 10);
    expect(std).toBeCloseTo(Math.sqrt(0.02 / 3), 10);
  });
});

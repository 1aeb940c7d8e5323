import { describe, expect, it } from "vitest";
import { drawTrial, gridTrials, resolveSweep, sweepProblems, trialParams } from "./sample";

describe("gridTrials", () => {
  it("is the product, the last parameter varying fastest", () => {
    expect(gridTrials({ a: { values: [1, 2] }, b: { values: ["x", "y", "z"] } })).toEqual([
      { a: 1, b: "x" },
      { a: 1, b: "y" },
      { a: 1, b: "z" },
      { a: 2, b: "x" },
      { a: 2, b: "y" },
      { a: 2, b: "z" },
    ]);
  });

  it("keeps structured values whole and sizes the resolved grid", () => {
    const sweep = resolveSweep({ method: "grid", parameters: { lr: { values: [{ min: 1, max: 2 }, 3] } } }, 42);
    expect(sweep.trials).toBe(2);
    expect(trialParams(sweep, 0)).toEqual({ lr: { min: 1, max: 2 } });
    expect(() => trialParams(sweep, 2)).toThrow(/grid trial 2 does not exist/);
  });
});

describe("drawTrial", () => {
  const parameters = {
    lr: { log_uniform: [1e-4, 1e-1] as [number, number] },
    jitter: { uniform: [0, 0.1] as [number, number] },
    epochs: { int_uniform: [1, 3] as [number, number] },
    dropout: { values: [0.2, 0.5] },
  };

  it("is a pure function of (seed, index): the same draw on every call", () => {
    expect(drawTrial(parameters, 1, 5)).toEqual(drawTrial(parameters, 1, 5));
    expect(drawTrial(parameters, 1, 5)).not.toEqual(drawTrial(parameters, 1, 6));
    expect(drawTrial(parameters, 1, 5)).not.toEqual(drawTrial(parameters, 2, 5));
  });

  it("stays inside every range over many draws and reaches both ends of int_uniform", () => {
    const seen = new Set<unknown>();
    const logs: number[] = [];
    for (let i = 0; i < 500; i++) {
      const t = drawTrial(parameters, 7, i);
      expect(t.lr as number).toBeGreaterThanOrEqual(1e-4);
      expect(t.lr as number).toBeLessThanOrEqual(1e-1);
      expect(t.jitter as number).toBeGreaterThanOrEqual(0);
      expect(t.jitter as number).toBeLessThanOrEqual(0.1);
      expect([1, 2, 3]).toContain(t.epochs);
      expect([0.2, 0.5]).toContain(t.dropout);
      seen.add(t.epochs);
      logs.push(Math.log10(t.lr as number));
    }
    expect(seen).toEqual(new Set([1, 2, 3]));
    // Log-uniform: about a third of the draws in each decade.
    const inFirstDecade = logs.filter((l) => l < -3).length / logs.length;
    expect(inFirstDecade).toBeGreaterThan(0.25);
    expect(inFirstDecade).toBeLessThan(0.42);
  });
});

describe("sweepProblems", () => {
  it("refuses a distribution in a grid, an inverted range and a grid trial count that is not the product", () => {
    expect(
      sweepProblems({
        method: "grid",
        trials: 5,
        parameters: { a: { values: [1, 2] }, b: { uniform: [0.5, 0.1] } },
      }).map((p) => `${p.path}: ${p.message}`),
    ).toEqual([
      "b: a grid takes values only, received uniform; list the values or use method: random",
      "b: uniform must be [low, high] with low <= high, received [0.5, 0.1]",
      "trials: a grid runs every combination (2); leave trials out, received 5",
    ]);
  });

  it("accepts a random sweep with ranges", () => {
    expect(sweepProblems({ method: "random", trials: 3, parameters: { a: { uniform: [0, 1] } } })).toEqual([]);
  });
});

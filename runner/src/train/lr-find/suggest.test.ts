import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { gradient, lrFindWarning, minimum, slide, steep, suggestLrs, valley, type LrPoint } from "./suggest";
import { SmoothedLoss, sweep, sweepLr } from "./sweep";

/** A 100-step curve and fastai v2's own suggestions on it (computed with fastai's code, numpy). */
const recorded = JSON.parse(readFileSync(new URL("./lr-curve.fixture.json", import.meta.url), "utf8")) as {
  planned_steps: number;
  points: LrPoint[];
  fastai: Record<"valley" | "steep" | "minimum" | "slide", number>;
};

describe("suggestion rules on hand-made curves", () => {
  const lrs = [1e-4, 1e-3, 1e-2, 1e-1, 1];

  it("valley: 1/3 + 1/6 into the longest descending run", () => {
    // LDS of [5,4,3,4,2,1,3] ends at index 5 with length 5 -> start 0, idx = 0 + 1 + 0
    expect(valley([1, 2, 3, 4, 5, 6, 7], [5, 4, 3, 4, 2, 1, 3])).toBe(2);
  });

  it("steep: the steepest fall per log-LR", () => {
    expect(steep(lrs, [2, 1.9, 1.0, 0.8, 3])).toBe(1e-3);
  });

  it("minimum: a tenth of the LR at the lowest loss", () => {
    expect(minimum(lrs, [2, 1.9, 1.0, 0.8, 3])).toBeCloseTo(0.01, 12);
  });

  it("gradient matches numpy.gradient", () => {
    expect(gradient([1, 2, 4, 7])).toEqual([1, 1.5, 2.5, 3]);
  });

  it("slide: stops where the gradient flattens", () => {
    // Flat loss: gradients equal at once, so the first left point (15 before the end) is the answer.
    const flat = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(slide(flat, new Array<number>(20).fill(1))).toBe(5);
  });
});

describe("suggestLrs on a recorded curve", () => {
  it("agrees with fastai's implementation on all four rules", () => {
    const s = suggestLrs(recorded.points, recorded.planned_steps);
    for (const rule of ["valley", "steep", "minimum", "slide"] as const) {
      expect(s[rule], rule).toBeCloseTo(recorded.fastai[rule], 12);
    }
  });

  it("still suggests something on a sweep that diverged after a few steps", () => {
    const s = suggestLrs(recorded.points.slice(0, 6), 100);
    expect(s.valley).toBeGreaterThan(0);
  });
});

describe("lrFindWarning", () => {
  it("is quiet on a full 100-step sweep with a valley", () => {
    const s = suggestLrs(recorded.points, recorded.planned_steps);
    expect(lrFindWarning(recorded.points, recorded.planned_steps, s)).toBeNull();
  });

  it("warns when the rules saw too few points (a short sweep)", () => {
    const points = recorded.points.filter((_, i) => i % 8 === 0); // 13 points of a 13-step sweep
    const w = lrFindWarning(points, points.length, suggestLrs(points, points.length));
    expect(w).toMatch(/saw only 7 points of a 13-step sweep.*raise lr\.steps/);
  });

  it("warns when the suggestions collapse onto the first points (a loss that only rises)", () => {
    const points = Array.from({ length: 40 }, (_, i) => ({
      lr: 1e-3 * 1.2 ** i,
      loss: 1 + (i / 10) ** 2,
      smoothed: 1 + (i / 10) ** 2,
    }));
    const s = suggestLrs(points, 40);
    const w = lrFindWarning(points, 40, s);
    expect(w).toMatch(
      /^LR finder: valley, steep, minimum(, slide)? sit on the first 3 points of the sweep \(2\.1e-3\.\.3\.0e-3\)/,
    );
  });
});

describe("sweep mechanics", () => {
  it("is exponential from start towards end", () => {
    expect(sweepLr(0, 100, 1e-7, 10)).toBeCloseTo(1e-7, 20);
    expect(sweepLr(50, 100, 1e-7, 10)).toBeCloseTo(1e-3, 12);
  });

  it("smooths with beta 0.98 and bias correction", () => {
    const s = new SmoothedLoss();
    expect(s.add(2)).toBeCloseTo(2, 12); // bias correction: first value is the loss itself
    // avg = 0.98*0.04 + 0.02*1 = 0.0592; / (1 - 0.98^2) = 0.0592/0.0396
    expect(s.add(1)).toBeCloseTo(0.0592 / 0.0396, 12);
  });

  it("stops at 4x the best smoothed loss and at non-finite losses", async () => {
    const seen: number[] = [];
    const pts = await sweep({
      steps: 100,
      start: 1e-7,
      end: 10,
      step: (lr) => {
        seen.push(lr);
        return lr < 1e-3 ? 1 : 1000;
      },
    });
    // Loss jumps at step 50; smoothed = (0.98^k stuff) passes 4 within a few steps.
    expect(pts.length).toBeLessThan(60);
    expect(pts.at(-1)!.smoothed).toBeGreaterThan(4);
    expect(pts.slice(0, -1).every((p) => p.smoothed <= 4)).toBe(true);
    const nan = await sweep({ steps: 10, start: 1e-7, end: 10, step: (_, i) => (i === 3 ? NaN : 1) });
    expect(nan).toHaveLength(3);
  });
});

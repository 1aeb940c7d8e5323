import { describe, expect, it } from "vitest";
import { groupLrs, spreadLr } from "./lr";

describe("spreadLr", () => {
  it("spreads geometrically like fastai's slice", () => {
    const lrs = spreadLr(1e-8, 1e-6, 3);
    expect(lrs).toHaveLength(3);
    expect(lrs[0]).toBeCloseTo(1e-8, 20);
    expect(lrs[1]! / 1e-7).toBeCloseTo(1, 12);
    expect(lrs[2]).toBe(1e-6);
  });
  it("gives the single group max", () => {
    expect(spreadLr(1e-5, 1e-3, 1)).toEqual([1e-3]);
  });
  it("gives equal LRs when min == max", () => {
    expect(spreadLr(0.01, 0.01, 4)).toEqual([0.01, 0.01, 0.01, 0.01]);
  });
  it("keeps a constant ratio between neighbours", () => {
    const lrs = spreadLr(1e-6, 1e-2, 5);
    for (let i = 1; i < lrs.length; i++) expect(lrs[i]! / lrs[i - 1]!).toBeCloseTo(10, 9);
  });
  it("refuses nonsense", () => {
    expect(() => spreadLr(1e-3, 1e-2, 0)).toThrow(/positive integer/);
    expect(() => spreadLr(0, 1e-2, 2)).toThrow(/> 0/);
  });
});

describe("groupLrs", () => {
  it("names the spread LRs by group", () => {
    const lrs = groupLrs({ kind: "fixed", min: 1e-6, max: 1e-4 }, ["early", "late", "head"]);
    expect(Object.keys(lrs)).toEqual(["early", "late", "head"]);
    expect(lrs.late! / 1e-5).toBeCloseTo(1, 12);
  });
  it("takes the finder's pick as the head's LR and pick/spread as the first group's", () => {
    const lr = { kind: "find", suggest: "valley", spread: 100, steps: 100, start: 1e-7, end: 10 } as const;
    const lrs = groupLrs(lr, ["early", "late", "head"], 1e-3);
    expect(lrs.head).toBe(1e-3);
    expect(lrs.early! / 1e-5).toBeCloseTo(1, 12);
    expect(() => groupLrs(lr, ["a"])).toThrow(/finder/);
  });
});

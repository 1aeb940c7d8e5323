import { describe, expect, it } from "vitest";
import { ashaPromotion, ashaRungs, rungTop, type RungResult } from "./asha";

const r = (trial: number, rung: number, value: number): RungResult => ({ trial, rung, value });
const none = new Set<number>();

describe("ashaRungs", () => {
  it("puts rungs at min·η^k below the budget, then the full schedule", () => {
    expect(ashaRungs(1, 3, 9)).toEqual([1, 3, 9]);
    expect(ashaRungs(1, 3, 10)).toEqual([1, 3, 9, 10]);
    expect(ashaRungs(2, 2, 8)).toEqual([2, 4, 8]);
    expect(ashaRungs(1, 3, 4)).toEqual([1, 3, 4]);
    expect(ashaRungs(5, 3, 4)).toEqual([4]);
  });
});

describe("ashaPromotion (Li et al. 2018, Algorithm 2)", () => {
  const opts = { rungs: 3, reduction: 3, mode: "max" as const };

  it("promotes nobody while a rung has fewer than η results (⌊n/η⌋ = 0): start a new trial", () => {
    expect(ashaPromotion([r(0, 0, 0.5), r(1, 0, 0.9)], none, opts)).toBeNull();
  });

  it("promotes the best of three at η = 3", () => {
    expect(ashaPromotion([r(0, 0, 0.5), r(1, 0, 0.9), r(2, 0, 0.7)], none, opts)).toEqual({ trial: 1, from: 0, to: 1 });
  });

  it("does not promote a trial twice, nor one that is training towards the next rung", () => {
    const rung0 = [r(0, 0, 0.5), r(1, 0, 0.9), r(2, 0, 0.7)];
    expect(ashaPromotion([...rung0, r(1, 1, 0.95)], none, opts)).toBeNull();
    expect(ashaPromotion(rung0, new Set([1]), opts)).toBeNull();
  });

  it("with six results the top two go up: the second best once the best is promoted", () => {
    const rung0 = [r(0, 0, 0.5), r(1, 0, 0.9), r(2, 0, 0.7), r(3, 0, 0.1), r(4, 0, 0.8), r(5, 0, 0.6)];
    expect(ashaPromotion(rung0, none, opts)).toEqual({ trial: 1, from: 0, to: 1 });
    expect(ashaPromotion([...rung0, r(1, 1, 0.9)], none, opts)).toEqual({ trial: 4, from: 0, to: 1 });
    // The third best (0.7) is not in the top ⌊6/3⌋ = 2: stopped unless more results arrive.
    expect(ashaPromotion([...rung0, r(1, 1, 0.9), r(4, 1, 0.85)], none, opts)).toBeNull();
  });

  it("looks at the higher rungs first", () => {
    const table = [
      ...[0, 1, 2, 3, 4, 5, 6, 7, 8].map((t) => r(t, 0, t / 10)),
      r(8, 1, 0.5),
      r(7, 1, 0.9),
      r(6, 1, 0.6),
    ];
    expect(ashaPromotion(table, none, opts)).toEqual({ trial: 7, from: 1, to: 2 });
  });

  it("never promotes out of the top rung", () => {
    const table = [r(0, 2, 0.9), r(1, 2, 0.8), r(2, 2, 0.7)];
    expect(ashaPromotion(table, none, opts)).toBeNull();
  });

  it("with mode min the lowest value wins; ties go to the earlier trial", () => {
    const min = { ...opts, mode: "min" as const };
    expect(ashaPromotion([r(0, 0, 0.5), r(1, 0, 0.9), r(2, 0, 0.2)], none, min)).toEqual({ trial: 2, from: 0, to: 1 });
    expect(rungTop([r(3, 0, 0.4), r(1, 0, 0.4), r(2, 0, 0.9)], 0, min)).toEqual([r(1, 0, 0.4)]);
  });

  it("a trial without a finite objective counts towards n but is never promoted", () => {
    expect(ashaPromotion([r(0, 0, NaN), r(1, 0, NaN), r(2, 0, NaN)], none, opts)).toBeNull();
    expect(rungTop([r(0, 0, NaN), r(1, 0, 0.3), r(2, 0, 0.1)], 0, opts)).toEqual([r(1, 0, 0.3)]);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { scheduleAt, sgdrCycle, sgdrEpochs } from "./schedules";
import type { ResolvedSchedule } from "./resolved";

const oneCycle: ResolvedSchedule = { name: "one_cycle", pct_start: 0.25, div: 25, div_final: 1e5, moms: [0.95, 0.85] };

describe("one_cycle (fastai fit_one_cycle)", () => {
  it("starts at 1/div with the high momentum", () => {
    const v = scheduleAt(oneCycle, 0, 100, 10);
    expect(v.lrFactor).toBeCloseTo(1 / 25, 12);
    expect(v.momentum).toBeCloseTo(0.95, 12);
  });
  it("peaks at pct_start with the low momentum", () => {
    const v = scheduleAt(oneCycle, 25, 100, 10);
    expect(v.lrFactor).toBeCloseTo(1, 12);
    expect(v.momentum).toBeCloseTo(0.85, 12);
  });
  it("is halfway up (cosine) at half of the warm-up", () => {
    // SchedCos(0.04, 1)(0.5) = 0.04 + (1 + cos(pi/2)) * 0.96 / 2 = 0.52
    expect(scheduleAt(oneCycle, 12.5, 100, 10).lrFactor).toBeCloseTo(0.52, 12);
  });
  it("anneals to 1/div_final at the end", () => {
    expect(scheduleAt(oneCycle, 100, 100, 10).lrFactor).toBeCloseTo(1e-5, 12);
    expect(scheduleAt(oneCycle, 100, 100, 10).momentum).toBeCloseTo(0.95, 12);
    // halfway down: (1 + 1e-5) / 2
    expect(scheduleAt(oneCycle, 62.5, 100, 10).lrFactor).toBeCloseTo((1 + 1e-5) / 2, 12);
  });
});

describe("sgdr (fastai fit_sgdr)", () => {
  const sgdr: ResolvedSchedule = { name: "sgdr", cycle_epochs: 1, cycle_mult: 2, min_lr_ratio: 0 };
  it("restarts at 1 at the start of each cycle: epochs 0, 1, 3", () => {
    for (const epoch of [0, 1, 3]) expect(scheduleAt(sgdr, epoch * 10, 70, 10).lrFactor).toBeCloseTo(1, 12);
  });
  it("is at half inside each cycle's middle", () => {
    expect(scheduleAt(sgdr, 5, 70, 10).lrFactor).toBeCloseTo(0.5, 12); // cycle 0: epoch 0.5 of 1
    expect(scheduleAt(sgdr, 20, 70, 10).lrFactor).toBeCloseTo(0.5, 12); // cycle 1: epoch 1 of 2
    expect(scheduleAt(sgdr, 50, 70, 10).lrFactor).toBeCloseTo(0.5, 12); // cycle 2: epoch 2 of 4
    expect(scheduleAt(sgdr, 5, 70, 10).momentum).toBeNull();
  });
  it("falls to min_lr_ratio at a cycle's end", () => {
    const floor: ResolvedSchedule = { ...sgdr, min_lr_ratio: 0.1 } as ResolvedSchedule;
    expect(scheduleAt(floor, 9.9999, 70, 10).lrFactor).toBeCloseTo(0.1, 6);
  });
  it("finds cycles and their epochs", () => {
    expect(sgdrCycle(2.5, 1, 2)).toEqual({ start: 1, length: 2 });
    expect(sgdrCycle(3, 1, 2)).toEqual({ start: 3, length: 4 });
    expect(sgdrEpochs(3, 1, 2)).toBe(7);
  });
});

describe("flat_cos and constant", () => {
  const flat: ResolvedSchedule = { name: "flat_cos", pct_start: 0.75 };
  it("stays flat, then anneals to 1e-5", () => {
    expect(scheduleAt(flat, 0, 100, 10).lrFactor).toBe(1);
    expect(scheduleAt(flat, 74, 100, 10).lrFactor).toBe(1);
    expect(scheduleAt(flat, 87.5, 100, 10).lrFactor).toBeCloseTo((1 + 1e-5) / 2, 12);
    expect(scheduleAt(flat, 100, 100, 10).lrFactor).toBeCloseTo(1e-5, 12);
  });
  it("constant is 1 with no momentum", () => {
    expect(scheduleAt({ name: "constant" }, 37, 100, 10)).toEqual({ lrFactor: 1, momentum: null });
  });
});

describe("schedules (properties)", () => {
  const steps = fc.record({ total: fc.integer({ min: 1, max: 5000 }), at: fc.double({ min: 0, max: 1, noNaN: true }) });
  it("one_cycle stays within [1/div_final, 1] and momentum within moms", () => {
    fc.assert(
      fc.property(steps, ({ total, at }) => {
        const v = scheduleAt(oneCycle, at * total, total, Math.max(1, Math.floor(total / 5)));
        expect(v.lrFactor).toBeGreaterThanOrEqual(1e-5 - 1e-12);
        expect(v.lrFactor).toBeLessThanOrEqual(1 + 1e-12);
        expect(v.momentum!).toBeGreaterThanOrEqual(0.85 - 1e-12);
        expect(v.momentum!).toBeLessThanOrEqual(0.95 + 1e-12);
      }),
    );
  });
  it("sgdr stays within [min_lr_ratio, 1]", () => {
    const sgdr: ResolvedSchedule = { name: "sgdr", cycle_epochs: 1, cycle_mult: 2, min_lr_ratio: 0.05 };
    fc.assert(
      fc.property(steps, fc.integer({ min: 1, max: 100 }), ({ total, at }, spe) => {
        const v = scheduleAt(sgdr, at * total, total, spe);
        expect(v.lrFactor).toBeGreaterThanOrEqual(0.05 - 1e-12);
        expect(v.lrFactor).toBeLessThanOrEqual(1 + 1e-12);
      }),
    );
  });
});

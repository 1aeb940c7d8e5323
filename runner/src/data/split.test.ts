import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ResolvedSplit } from "@tessera/shared";
import { DataError } from "../errors";
import { batchOrder } from "./batches";
import { makeSplit } from "./split";

const split = (over: Partial<ResolvedSplit> = {}): ResolvedSplit => ({
  protocol: "holdout",
  valid: 0.2,
  k: 5,
  folds: null,
  stratify: true,
  seed: 1,
  ...over,
});
/** 3 classes: 10, 20 and 5 items. */
const labels = [...Array(10).fill(0), ...Array(20).fill(1), ...Array(5).fill(2)] as number[];
const input = { labels, classes: ["a", "b", "c"], predefined: null };
const count = (idx: number[], c: number) => idx.filter((i) => labels[i] === c).length;

describe("makeSplit", () => {
  it("holdout is stratified, disjoint, complete and seeded", () => {
    const { folds } = makeSplit(input, split());
    const f = folds[0]!;
    expect([count(f.valid, 0), count(f.valid, 1), count(f.valid, 2)]).toEqual([2, 4, 1]);
    expect(new Set([...f.train, ...f.valid]).size).toBe(labels.length);
    expect(f.train.length + f.valid.length).toBe(labels.length);
    expect(makeSplit(input, split()).folds[0]).toEqual(f);
    expect(makeSplit(input, split({ seed: 2 })).folds[0]!.valid).not.toEqual(f.valid);
  });

  it("kfold puts every item in exactly one valid fold, classes spread evenly", () => {
    const { folds, foldIds } = makeSplit(input, split({ protocol: "kfold", k: 5 }));
    expect(foldIds).toEqual([0, 1, 2, 3, 4]);
    const seen = folds.flatMap((f) => f.valid).sort((a, b) => a - b);
    expect(seen).toEqual(labels.map((_, i) => i));
    for (const f of folds) {
      expect(count(f.valid, 1)).toBe(4);
      expect(f.train.length + f.valid.length).toBe(labels.length);
    }
  });

  it("kfold with `folds` keeps only the chosen folds and refuses a missing one", () => {
    const all = makeSplit(input, split({ protocol: "kfold", k: 5 }));
    const some = makeSplit(input, split({ protocol: "kfold", k: 5, folds: [1, 3] }));
    expect(some.folds).toEqual([all.folds[1], all.folds[3]]);
    expect(() => makeSplit(input, split({ protocol: "kfold", k: 5, folds: [5] }))).toThrow(/fold 5 does not exist/);
  });

  it("leave_one_out has one fold per image", () => {
    const { folds } = makeSplit(input, split({ protocol: "leave_one_out" }));
    expect(folds).toHaveLength(labels.length);
    expect(folds[7]).toMatchObject({ valid: [7] });
    expect(folds[7]!.train).toHaveLength(labels.length - 1);
  });

  it("leave_one_out builds only the chosen folds (no n x n work for a big set)", () => {
    const some = makeSplit(input, split({ protocol: "leave_one_out", folds: [3, 1] }));
    expect(some.foldIds).toEqual([3, 1]);
    expect(some.folds.map((f) => f.valid)).toEqual([[3], [1]]);
    const big = Array.from({ length: 50_000 }, (_, i) => i % 2);
    const t0 = performance.now();
    const one = makeSplit(
      { labels: big, classes: ["a", "b"], predefined: null },
      split({ protocol: "leave_one_out", folds: [7] }),
    );
    expect(one.folds[0]!.train).toHaveLength(49_999);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(() => makeSplit(input, split({ protocol: "leave_one_out", folds: [35] }))).toThrow(
      /fold 35 does not exist; this split has folds 0..34/,
    );
  });

  it("names the class that is too small for the split", () => {
    const tiny = { labels: [0, 0, 0, 1], classes: ["big", "lonely"], predefined: null };
    expect(() => makeSplit(tiny, split())).toThrow(DataError);
    expect(() => makeSplit(tiny, split())).toThrow(/class 'lonely' has 1 image/);
    expect(() => makeSplit(input, split({ protocol: "kfold", k: 6 }))).toThrow(
      /class 'c' has 5 image\(s\); kfold with k=6/,
    );
  });

  it("predefined follows the data and needs both sides", () => {
    const where = ["train", "valid", "train", "valid"] as const;
    const { folds } = makeSplit(
      { labels: [0, 0, 1, 1], classes: ["x", "y"], predefined: [...where] },
      split({ protocol: "predefined" }),
    );
    expect(folds[0]).toEqual({ train: [0, 2], valid: [1, 3] });
    expect(() =>
      makeSplit(
        { labels: [0, 1], classes: ["x", "y"], predefined: ["train", "train"] },
        split({ protocol: "predefined" }),
      ),
    ).toThrow(/no valid images/);
  });
});

describe("batchOrder", () => {
  it("is a permutation cut into batches, the same for the same (seed, epoch)", () => {
    const b = batchOrder(10, 4, 3, 0);
    expect(b.map((x) => x.length)).toEqual([4, 4, 2]);
    expect(b.flat().sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batchOrder(10, 4, 3, 0)).toEqual(b);
    expect(batchOrder(10, 4, 3, 1)).not.toEqual(b);
    expect(batchOrder(10, 4, 4, 0)).not.toEqual(b);
  });
});

describe("makeSplit properties", () => {
  const labelsArb = fc
    .array(fc.integer({ min: 5, max: 40 }), { minLength: 2, maxLength: 6 })
    .map((sizes) => sizes.flatMap((n, c) => Array<number>(n).fill(c)));

  it("holdout: disjoint, complete, and each class's valid share is its rounded fraction", () => {
    fc.assert(
      fc.property(labelsArb, fc.double({ min: 0.05, max: 0.95, noNaN: true }), fc.integer(), (labels, valid, seed) => {
        const classes = [...new Set(labels)].map(String);
        const [fold] = makeSplit({ labels, classes, predefined: null }, split({ valid, seed })).folds;
        const all = [...fold!.train, ...fold!.valid].sort((a, b) => a - b);
        expect(all).toEqual(labels.map((_, i) => i));
        for (let c = 0; c < classes.length; c++) {
          const n = labels.filter((l) => l === c).length;
          const want = Math.min(n - 1, Math.max(1, Math.round(n * valid)));
          expect(fold!.valid.filter((i) => labels[i] === c)).toHaveLength(want);
        }
      }),
      { numRuns: 50 },
    );
  });

  it("kfold: every item validated once; fold sizes and per-class counts differ by at most one", () => {
    fc.assert(
      fc.property(labelsArb, fc.integer({ min: 2, max: 5 }), fc.integer(), (labels, k, seed) => {
        const classes = [...new Set(labels)].map(String);
        const { folds } = makeSplit({ labels, classes, predefined: null }, split({ protocol: "kfold", k, seed }));
        expect(folds.flatMap((f) => f.valid).sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
        const sizes = folds.map((f) => f.valid.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        for (let c = 0; c < classes.length; c++) {
          const per = folds.map((f) => f.valid.filter((i) => labels[i] === c).length);
          expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 50 },
    );
  });
});

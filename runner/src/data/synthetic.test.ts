import { describe, expect, it } from "vitest";
import type { ResolvedData } from "@tessera/shared";
import { loadDataset, loadImages, splitRecord } from "./index";
import { renderTissue } from "./synthetic/tissue";

const base = {
  split: { protocol: "holdout", valid: 0.2, k: 5, folds: null, stratify: true, seed: 42 },
  resize: "squish",
  normalize: "auto",
  augment: { dihedral: false, crop: null, brightness: 0, contrast: 0, stain_jitter: 0 },
  on_bad_image: "error",
} as const;
const synthetic = (over: Partial<Extract<ResolvedData, { source: "synthetic" }>> = {}): ResolvedData => ({
  ...base,
  split: { ...base.split },
  augment: { ...base.augment },
  source: "synthetic",
  classes: 6,
  per_class: 20,
  image_size: 64,
  ...over,
});
const opts = { seed: 7, baseDir: ".", cacheDir: false } as const;

describe("synthetic tissue", () => {
  it("is seeded: same (class, index, seed) gives the same tile, another seed another", () => {
    const a = renderTissue(2, 5, 1, 64);
    expect(renderTissue(2, 5, 1, 64)).toEqual(a);
    expect(renderTissue(2, 5, 2, 64)).not.toEqual(a);
    expect(a.length).toBe(64 * 64 * 3);
  });

  it("looks like H&E: mostly pink (R and B above G), with darker nuclei", () => {
    const t = renderTissue(1, 0, 1, 96); // lymphoid: dense nuclei
    let r = 0,
      g = 0,
      b = 0,
      dark = 0;
    for (let p = 0; p < t.length; p += 3) {
      r += t[p]!;
      g += t[p + 1]!;
      b += t[p + 2]!;
      if (t[p]! + t[p + 1]! + t[p + 2]! < 400) dark++;
    }
    expect(r).toBeGreaterThan(g);
    expect(b).toBeGreaterThan(g);
    expect(dark / (96 * 96)).toBeGreaterThan(0.05);
  });

  it("is fast: the demo's 6 x 60 tiles at 64 px under 5 s even on a loaded machine", () => {
    const t0 = performance.now();
    for (let c = 0; c < 6; c++) for (let i = 0; i < 60; i++) renderTissue(c, i, 42, 64);
    const seconds = (performance.now() - t0) / 1000;
    console.log(`synthetic: 360 tiles at 64 px in ${seconds.toFixed(2)} s`);
    expect(seconds).toBeLessThan(5); // 0.7 s measured at load average 13 on 2 cores
  });

  it("draws brown (DAB) nuclei only in the IHC class", () => {
    const brown = (c: number) => {
      let n = 0;
      for (let i = 0; i < 4; i++) {
        const t = renderTissue(c, i, 3, 64);
        for (let p = 0; p < t.length; p += 3) if (t[p]! - t[p + 2]! > 40) n++;
      }
      return n / (4 * 64 * 64);
    };
    expect(brown(5)).toBeGreaterThan(0.02);
    expect(brown(1)).toBe(0);
  });

  it("loads as a dataset with sorted classes, a stratified split and stable hashes", async () => {
    const ds = await loadDataset(synthetic(), opts);
    expect(ds.classes).toEqual([...ds.classes].sort());
    expect(ds.classes[0]).toBe("A-stroma");
    expect(ds.items).toHaveLength(120);
    expect(ds.folds).toHaveLength(1);
    expect(ds.folds[0]!.valid).toHaveLength(24); // 4 per class
    const again = await loadDataset(synthetic(), opts);
    expect(again.splitHash).toBe(ds.splitHash);
    expect(again.dataHash).toBe(ds.dataHash);
    const other = await loadDataset(synthetic({ split: { ...base.split, seed: 43 } }), opts);
    expect(other.splitHash).not.toBe(ds.splitHash);
    expect(splitRecord(ds).files["synthetic/A-stroma/0000"]?.label).toBe("A-stroma");
  });

  it("loadImages returns NHWC uint8 in the order asked, at any stage size", async () => {
    const ds = await loadDataset(synthetic(), opts);
    const two = await loadImages(ds, [5, 0], 32, "squish");
    const one = await loadImages(ds, [0], 32, "squish");
    expect(two).toHaveLength(2 * 32 * 32 * 3);
    expect(two.subarray(32 * 32 * 3)).toEqual(one);
    expect(await loadImages(ds, [0], 64, "squish")).toEqual(renderTissue(0, 0, 7, 64));
  });

  it("never blocks the event loop for long while drawing many tiles", async () => {
    const ds = await loadDataset(synthetic({ per_class: 30, image_size: 96 }), opts);
    // Count timer ticks during the call: drawing all 180 tiles without yielding lets none through;
    // yielding between tiles lets one through about every tile. (A max-gap bound flakes when the OS
    // deschedules a loaded test worker; a tick count does not.)
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await loadImages(
      ds,
      ds.items.map((_, i) => i),
      96,
      "squish",
    );
    const during = ticks;
    clearInterval(timer);
    expect(during).toBeGreaterThanOrEqual(20);
  });

  it("refuses a predefined split", async () => {
    await expect(loadDataset(synthetic({ split: { ...base.split, protocol: "predefined" } }), opts)).rejects.toThrow(
      /no predefined split/,
    );
  });
});

/**
 * The data pipeline on the real Kimia Path960 tiles (600 TIFFs, 20 classes, 30 each) at KIMIA_DIR.
 * A missing folder skips these tests with one line (fails under TESSERA_REQUIRE_COMPONENTS=1).
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ResolvedData, ResolvedSplit } from "@tessera/shared";
import { loadDataset, loadImages, splitRecord } from "../runner/src/data";
import { missingComponent } from "./helpers/components";
import { KIMIA_DIR } from "./helpers/paths";

const missing = await missingComponent("kimia");
const cacheDir = await mkdtemp(join(tmpdir(), "tessera-kimia-cache-"));
afterAll(() => rm(cacheDir, { recursive: true, force: true }));

const kimia = (split: Partial<ResolvedSplit> = {}): ResolvedData => ({
  source: "folder",
  path: KIMIA_DIR,
  label: { from: "filename", pattern: "^([A-T])\\d+\\.tif$" },
  split: { protocol: "holdout", valid: 0.2, k: 5, folds: null, stratify: true, seed: 42, ...split },
  resize: "squish",
  normalize: "auto",
  augment: { dihedral: false, crop: null, brightness: 0, contrast: 0, stain_jitter: 0 },
  on_bad_image: "error",
});
const opts = { seed: 42, baseDir: ".", cacheDir };

describe.skipIf(missing !== null)("Kimia Path960 tiles", () => {
  it("lists 600 files in 20 classes A..T and splits 24/6 per class", async () => {
    expect(existsSync(KIMIA_DIR), `Kimia tiles missing at ${KIMIA_DIR}`).toBe(true);
    const ds = await loadDataset(kimia(), opts);
    expect(ds.items).toHaveLength(600);
    expect(ds.classes).toEqual("ABCDEFGHIJKLMNOPQRST".split(""));
    expect(ds.skipped).toEqual([]);
    const fold = ds.folds[0]!;
    for (let c = 0; c < 20; c++) {
      expect(fold.valid.filter((i) => ds.items[i]!.label === c)).toHaveLength(6);
      expect(fold.train.filter((i) => ds.items[i]!.label === c)).toHaveLength(24);
    }
  });

  it("gives the same split (and hashes) for the same seed, another for another seed", async () => {
    const a = await loadDataset(kimia(), opts);
    const b = await loadDataset(kimia(), opts);
    const c = await loadDataset(kimia({ seed: 7 }), opts);
    expect(b.folds).toEqual(a.folds);
    expect(b.splitHash).toBe(a.splitHash);
    expect(b.dataHash).toBe(a.dataHash);
    expect(c.folds[0]!.valid).not.toEqual(a.folds[0]!.valid);
    expect(c.splitHash).not.toBe(a.splitHash);
    const record = splitRecord(a);
    expect(Object.values(record.files).filter((f) => f.split === "valid")).toHaveLength(120);
  });

  it("kfold and leave-one-out cover every image once", async () => {
    const k = await loadDataset(kimia({ protocol: "kfold", k: 5 }), opts);
    expect(k.folds.map((f) => f.valid.length)).toEqual([120, 120, 120, 120, 120]);
    const loo = await loadDataset(kimia({ protocol: "leave_one_out", folds: [0, 599] }), opts);
    expect(loo.foldIds).toEqual([0, 599]);
    expect(loo.folds[1]!.train).toHaveLength(599);
  });

  it("decodes all 600 tiles to RGB", async () => {
    const ds = await loadDataset(kimia(), opts);
    const px = await loadImages(
      ds,
      ds.items.map((_, i) => i),
      32,
      "squish",
    );
    expect(px).toHaveLength(600 * 32 * 32 * 3);
    // every tile has content (not a black decode failure)
    for (let i = 0; i < 600; i++) {
      const t = px.subarray(i * 3072, (i + 1) * 3072);
      expect(t.some((v) => v > 0)).toBe(true);
    }
  });
});

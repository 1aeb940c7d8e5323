import { describe, expect, it } from "vitest";
import type { ResolvedAugment } from "@tessera/shared";
import * as tf from "../tf";
import { augmentBatch, dihedralView, dihedralViews } from "./augment";
import { normalizeBatch } from "./normalize";
import { hedToRgb, rgbToHed, stainJitter } from "./stain";
import { mulberry32 } from "./rng";
import { renderTissue } from "./synthetic/tissue";

const off: ResolvedAugment = { dihedral: false, crop: null, brightness: 0, contrast: 0, stain_jitter: 0 };
const tissue = (n: number, size = 32) =>
  tf.tensor4d(Float32Array.from(Array.from({ length: n }, (_, i) => [...renderTissue(i % 6, i, 1, size)]).flat()), [
    n,
    size,
    size,
    3,
  ]);

describe("dihedral views", () => {
  it("gives the 8 distinct views of an asymmetric image, view 0 the identity", async () => {
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const views = await Promise.all(dihedralViews(x).map((v) => v.data()));
    expect([...views[0]!]).toEqual([1, 2, 3, 4]);
    expect(new Set(views.map((v) => [...v].join())).size).toBe(8);
  });

  it("four quarter turns are the identity", async () => {
    const x = tissue(2, 8);
    let y = x;
    for (let i = 0; i < 4; i++) y = dihedralView(y, 1);
    expect(await y.data()).toEqual(await x.data());
  });
});

describe("augmentBatch", () => {
  it("does nothing when everything is off, and returns a tensor safe to keep after disposing x", async () => {
    const x = tissue(2);
    const y = augmentBatch(x, off, 1);
    const want = await x.data();
    x.dispose();
    expect(await y.data()).toEqual(want);
  });

  it("is seeded, changes the images, keeps shape and range, and leaks no tensors", async () => {
    const x = tissue(4);
    const all: ResolvedAugment = {
      dihedral: true,
      crop: { scale: [0.35, 1] },
      brightness: 0.1,
      contrast: 0.2,
      stain_jitter: 0.1,
    };
    const before = tf.memory().numTensors;
    const a = augmentBatch(x, all, 5);
    expect(tf.memory().numTensors).toBe(before + 1);
    const b = augmentBatch(x, all, 5);
    const c = augmentBatch(x, all, 6);
    expect(a.shape).toEqual(x.shape);
    expect(await a.data()).toEqual(await b.data());
    expect(await a.data()).not.toEqual(await c.data());
    expect(await a.data()).not.toEqual(await x.data());
    expect((await a.min().data())[0]).toBeGreaterThanOrEqual(0);
    expect((await a.max().data())[0]).toBeLessThanOrEqual(255);
  });

  it("dihedral alone keeps each image's pixel multiset (a flip/rotation of itself)", async () => {
    const x = tissue(3, 16);
    const y = augmentBatch(x, { ...off, dihedral: true }, 9);
    for (let i = 0; i < 3; i++) {
      const src = [...(await x.slice(i, 1).data())].sort((p, q) => p - q);
      const dst = [...(await y.slice(i, 1).data())].sort((p, q) => p - q);
      expect(dst).toEqual(src);
    }
  });
});

describe("stain space", () => {
  it("RGB -> HED -> RGB round-trips", async () => {
    const x = tissue(1, 16);
    const back = hedToRgb(rgbToHed(x));
    const diff = (await tf.max(tf.abs(tf.sub(back, x))).data())[0]!;
    expect(diff).toBeLessThan(0.05);
  });

  it("stain jitter moves colours by an amount that grows with sigma", async () => {
    const x = tissue(4, 16);
    const moved = async (sigma: number) =>
      (await tf.mean(tf.abs(tf.sub(stainJitter(x, sigma, mulberry32(1)), x))).data())[0]!;
    const small = await moved(0.02);
    const large = await moved(0.2);
    expect(small).toBeGreaterThan(0);
    expect(large).toBeGreaterThan(3 * small);
  });
});

describe("normalizeBatch", () => {
  it("caffe swaps to BGR and subtracts the Keras means", async () => {
    const x = tf.tensor4d([10, 20, 30], [1, 1, 1, 3]);
    const y = await normalizeBatch(x, "caffe").data();
    expect([...y].map((v) => Number(v.toFixed(3)))).toEqual([30 - 103.939, 20 - 116.779, 10 - 123.68]);
  });

  it("imagenet scales, centres and divides per channel; none only scales", async () => {
    const x = tf.tensor4d([255, 0, 127.5], [1, 1, 1, 3]);
    const y = await normalizeBatch(x, "imagenet").data();
    expect(y[0]).toBeCloseTo((1 - 0.485) / 0.229, 4);
    expect(y[1]).toBeCloseTo((0 - 0.456) / 0.224, 4);
    expect([...(await normalizeBatch(x, "none").data())]).toEqual([1, 0, 0.5]);
  });
});

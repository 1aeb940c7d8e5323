/**
 * Batch augmentation with tfjs ops (no per-pixel JS): random resized crop, dihedral views, H&E
 * stain jitter, brightness and contrast. Every random draw comes from a stream seeded by the
 * caller's `seed` (derive it from run seed, epoch and step), so a resumed run augments the same.
 */
import type { ResolvedAugment } from "@tessera/shared";
import * as tf from "../tf";
import { rngFor, uniform, type Rng } from "./rng";
import { stainJitter } from "./stain";

/** View `v` (0..7) of a batch: `v % 4` quarter turns, mirrored first when `v >= 4`. */
export function dihedralView(x: tf.Tensor4D, v: number): tf.Tensor4D {
  return tf.tidy(() => {
    let y = v >= 4 ? tf.reverse(x, 2) : x;
    for (let k = 0; k < v % 4; k++) y = tf.reverse(tf.transpose(y, [0, 2, 1, 3]), 2);
    return y as tf.Tensor4D;
  });
}

/** The 8 dihedral views of a batch of square images (test-time augmentation, activation cache). */
export function dihedralViews(x: tf.Tensor4D): tf.Tensor4D[] {
  requireSquare(x, "dihedralViews");
  return Array.from({ length: 8 }, (_, v) => dihedralView(x, v));
}

/**
 * Augments a batch of float RGB 0..255 images `[n, s, s, 3]` as `augment` says; returns a new
 * tensor of the same shape (the caller disposes `x`). Off switches cost nothing.
 */
export function augmentBatch(x: tf.Tensor4D, augment: ResolvedAugment, seed: number): tf.Tensor4D {
  const rng = rngFor(seed, "augment");
  const n = x.shape[0];
  return tf.tidy(() => {
    let y: tf.Tensor4D = x;
    if (augment.crop) y = randomResizedCrop(y, augment.crop.scale, rng);
    if (augment.dihedral) y = randomDihedral(y, rng);
    if (augment.stain_jitter > 0) y = stainJitter(y, augment.stain_jitter, rng);
    if (augment.brightness > 0 || augment.contrast > 0) {
      const c = Array.from({ length: n }, () => uniform(rng, 1 - augment.contrast, 1 + augment.contrast));
      const b = Array.from({ length: n }, () => uniform(rng, -augment.brightness, augment.brightness) * 255);
      const mean = tf.mean(y, [1, 2, 3], true);
      const scaled = tf.add(tf.mul(tf.sub(y, mean), tf.tensor4d(c, [n, 1, 1, 1])), mean);
      y = tf.add(scaled, tf.tensor4d(b, [n, 1, 1, 1])) as tf.Tensor4D;
    }
    // tidy keeps only the returned tensor; return a copy when nothing was done so disposing x is safe.
    return y === x ? tf.clone(x) : (tf.clipByValue(y, 0, 255) as tf.Tensor4D);
  });
}

/** Each image its own crop box: area fraction in `scale`, aspect in [3/4, 4/3], resized back. */
function randomResizedCrop(x: tf.Tensor4D, scale: [number, number], rng: Rng): tf.Tensor4D {
  const [n, h, w] = x.shape;
  const boxes: number[][] = [];
  for (let i = 0; i < n; i++) {
    const area = uniform(rng, scale[0], scale[1]);
    const ratio = Math.exp(uniform(rng, Math.log(3 / 4), Math.log(4 / 3)));
    const bw = Math.min(1, Math.sqrt(area * ratio));
    const bh = Math.min(1, Math.sqrt(area / ratio));
    const x0 = rng() * (1 - bw);
    const y0 = rng() * (1 - bh);
    boxes.push([y0, x0, y0 + bh, x0 + bw]);
  }
  return tf.image.cropAndResize(x, tf.tensor2d(boxes), tf.range(0, n, 1, "int32") as tf.Tensor1D, [h, w], "bilinear");
}

/** One random dihedral view per image: images grouped by view, transformed, put back in order. */
function randomDihedral(x: tf.Tensor4D, rng: Rng): tf.Tensor4D {
  requireSquare(x, "dihedral augmentation");
  const n = x.shape[0];
  const views = Array.from({ length: n }, () => Math.floor(rng() * 8));
  const parts: tf.Tensor4D[] = [];
  const order: number[] = [];
  for (let v = 0; v < 8; v++) {
    const members = views.flatMap((view, i) => (view === v ? [i] : []));
    if (members.length === 0) continue;
    parts.push(dihedralView(tf.gather(x, members), v));
    order.push(...members);
  }
  const inverse = new Array<number>(n);
  order.forEach((item, pos) => (inverse[item] = pos));
  return tf.gather(tf.concat(parts, 0), inverse);
}

function requireSquare(x: tf.Tensor4D, what: string): void {
  if (x.shape[1] !== x.shape[2]) throw new RangeError(`${what} needs square images, got ${x.shape[1]}x${x.shape[2]}`);
}

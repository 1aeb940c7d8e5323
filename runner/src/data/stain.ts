/**
 * H&E stain jitter in optical-density / HED space (Tellez et al. 2018; skimage's rgb2hed):
 * OD = -ln((x+1)/256), HED = OD · M⁻¹ with M the stain vectors (rows H, E, DAB); each image's
 * stain concentrations are scaled by α ∈ [1-σ, 1+σ] and shifted by β ∈ [-σ, σ] per stain, then
 * mapped back. Batched tfjs ops; the per-image α, β come from the caller's seeded stream.
 */
import * as tf from "../tf";
import { uniform, type Rng } from "./rng";
import { STAIN_VECTORS } from "./synthetic/tissue";

const M = [STAIN_VECTORS.h, STAIN_VECTORS.e, STAIN_VECTORS.d].map((r) => [...r]);

function invert3(m: number[][]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m as [
    [number, number, number],
    [number, number, number],
    [number, number, number],
  ];
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}

const M_INV = invert3(M);

/** RGB 0..255 (float) -> HED stain concentrations, same shape. */
export function rgbToHed(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const od = tf.neg(tf.log(tf.div(tf.add(x, 1), 256)));
    return tf.reshape(tf.matMul(tf.reshape(od, [-1, 3]), tf.tensor2d(M_INV)), x.shape) as tf.Tensor4D;
  });
}

/** HED stain concentrations -> RGB 0..255 (float, clipped). */
export function hedToRgb(hed: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const od = tf.reshape(tf.matMul(tf.reshape(hed, [-1, 3]), tf.tensor2d(M)), hed.shape);
    return tf.clipByValue(tf.sub(tf.mul(tf.exp(tf.neg(od)), 256), 1), 0, 255) as tf.Tensor4D;
  });
}

/** Jitters each image's H, E and DAB amounts by up to `sigma` (relative scale and absolute shift). */
export function stainJitter(x: tf.Tensor4D, sigma: number, rng: Rng): tf.Tensor4D {
  const n = x.shape[0];
  const alpha = Array.from({ length: n * 3 }, () => uniform(rng, 1 - sigma, 1 + sigma));
  const beta = Array.from({ length: n * 3 }, () => uniform(rng, -sigma, sigma));
  return tf.tidy(() => {
    const hed = rgbToHed(x);
    const moved = tf.add(tf.mul(hed, tf.tensor4d(alpha, [n, 1, 1, 3])), tf.tensor4d(beta, [n, 1, 1, 3]));
    return hedToRgb(moved as tf.Tensor4D);
  });
}

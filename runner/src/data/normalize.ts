/** Input normalisation as the backbone's weights expect it. */
import * as tf from "../tf";
import type { NormalizeMode } from "./types";

/** Keras-caffe ImageNet channel means, in BGR order. */
export const CAFFE_MEAN_BGR = [103.939, 116.779, 123.68] as const;
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/**
 * `x` is float RGB in 0..255. caffe: RGB->BGR, minus the BGR means (Keras ResNet50/101/152);
 * imagenet: /255, minus mean, over std (torchvision-style); none: only scaled to 0..1.
 */
export function normalizeBatch(x: tf.Tensor4D, mode: NormalizeMode): tf.Tensor4D {
  return tf.tidy(() => {
    switch (mode) {
      case "caffe":
        return tf.sub(tf.reverse(x, -1), tf.tensor1d([...CAFFE_MEAN_BGR]));
      case "imagenet":
        return tf.div(tf.sub(tf.div(x, 255), tf.tensor1d([...IMAGENET_MEAN])), tf.tensor1d([...IMAGENET_STD]));
      case "none":
        return tf.div(x, 255);
    }
  });
}

/** `data.normalize: auto` means what the weights need (the model builder says which). */
export function resolveNormalize(configured: "auto" | NormalizeMode, modelNeeds: NormalizeMode): NormalizeMode {
  return configured === "auto" ? modelNeeds : configured;
}

/** Shared by the tests that compare a model across engines or formats (ONNX, tfjs graph, the cache). */
import * as tf from "../tf";

/**
 * Gives every BatchNormalization layer real, seeded statistics (gamma, beta, moving mean ~ N(0, 0.3),
 * moving variance ~ U(0.5, 2)). Random init leaves BatchNorm at mean 0 / variance 1, which hides a
 * wrong BatchNorm fold or a missed layer. Seeds start from 1: tfjs draws an unseeded value for 0.
 */
export function withRandomBnStatistics(model: tf.LayersModel): void {
  model.layers
    .filter((l) => l.getClassName() === "BatchNormalization")
    .forEach((layer, k) =>
      layer.setWeights(
        layer
          .getWeights()
          .map((w, i) =>
            i === 3
              ? tf.randomUniform(w.shape, 0.5, 2, "float32", k + 1)
              : tf.randomNormal(w.shape, 0, 0.3, "float32", k * 4 + i + 1),
          ),
      ),
    );
}

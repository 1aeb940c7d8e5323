/**
 * The tfjs graph-model export is checked by tfjs-converter's own loader (`tf.loadGraphModel`), not
 * by our reader: ResNet18/50 (tiny, real BatchNorm statistics so folding matters) written to a
 * folder, loaded back, and their logits and probabilities match the layers model's within 1e-4.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadGraphModel } from "@tensorflow/tfjs-converter";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "../../tf";
import { buildModel } from "../../model";
import { withRandomBnStatistics } from "../../model/test-helpers";
import { fileHandler } from "../../model/fileio";
import { relativeError } from "../onnx/test-helpers";
import { toGraphModel, writeGraphExport } from ".";

async function tiny(backbone: "resnet18" | "resnet50") {
  const built = await buildModel(
    {
      backbone,
      pretrained: "none",
      width: 0.125,
      head: { dropout: 0.3, hidden: 8 },
      groups: { body: ["stem", "conv2", "conv3", "conv4", "conv5"], head: ["head"] },
    },
    4,
    { seed: 7 },
  );
  withRandomBnStatistics(built.model);
  return built.model;
}

beforeAll(async () => {
  await tf.setBackend("cpu");
});
afterAll(() => tf.disposeVariables());

describe("tfjs graph-model export, checked by tf.loadGraphModel", () => {
  for (const [backbone, size] of [
    ["resnet18", 32],
    ["resnet50", 45],
  ] as const) {
    it(`${backbone} at ${size} px: the loaded graph model's logits match the layers model within 1e-4`, async () => {
      const model = await tiny(backbone);
      const out = mkdtempSync(join(tmpdir(), "tessera-graph-"));
      expect(await writeGraphExport(model, size, out)).toEqual(["model.json", "weights.bin"]);
      const json = JSON.parse(readFileSync(join(out, "model.json"), "utf8"));
      expect(json.format).toBe("graph-model");
      const ops = new Set<string>(json.modelTopology.node.map((n: { op: string }) => n.op));
      expect([...ops].sort()).toEqual(
        [
          "AddV2",
          "BiasAdd",
          "Const",
          "Conv2D",
          "Identity",
          "MatMul",
          "MaxPool",
          "Mean",
          "Pad",
          "Placeholder",
          "Relu",
          "Softmax",
        ].sort(),
      );
      const graph = await loadGraphModel(fileHandler(out));
      const x = tf.randomNormal([3, size, size, 3], 0, 1, "float32", 2) as tf.Tensor4D;
      const expected = model.predict(x) as tf.Tensor;
      const [logits, probs] = graph.execute(x, ["logits", "probabilities"]) as tf.Tensor[];
      expect(logits!.shape).toEqual([3, 4]);
      expect(relativeError(logits!.dataSync(), expected.dataSync())).toBeLessThan(1e-4);
      const softmax = tf.softmax(expected);
      expect(relativeError(probs!.dataSync(), softmax.dataSync())).toBeLessThan(1e-4);
      tf.dispose([x, expected, logits!, probs!, softmax]);
      graph.dispose();
    });
  }

  it("names the layer and class it cannot write", async () => {
    const input = tf.input({ shape: [8, 8, 3] });
    const pooled = tf.layers.averagePooling2d({ poolSize: 2, name: "odd_pool" }).apply(input) as tf.SymbolicTensor;
    const out = tf.layers
      .dense({ units: 2 })
      .apply(tf.layers.globalAveragePooling2d({}).apply(pooled)) as tf.SymbolicTensor;
    await expect(toGraphModel(tf.model({ inputs: input, outputs: out }), 8)).rejects.toThrow(
      "cannot export layer 'odd_pool' (class AveragePooling2D) to a tfjs graph model: no tfjs graph-model mapping for this layer class",
    );
  });
});

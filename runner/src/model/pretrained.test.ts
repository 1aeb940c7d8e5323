import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as tf from "../tf";
import type { ResolvedModel } from "@tessera/shared";
import { buildModel, fileHandler } from "./index";

const groups: ResolvedModel["groups"] = { body: ["stem", "conv2", "conv3", "conv4", "conv5"], head: ["head"] };
const spec = (over: Partial<ResolvedModel>): ResolvedModel => ({
  backbone: "resnet50",
  pretrained: "none",
  width: 0.0625,
  head: { dropout: 0, hidden: 0 },
  groups,
  ...over,
});

/** Our name -> the Keras 2.2 name, to fake a Keras 2.2 model from one of ours. */
function toKeras22(name: string): string {
  if (name === "conv1_conv") return "conv1";
  if (name === "conv1_bn") return "bn_conv1";
  if (name === "logits") return "fc1000";
  const m = /^conv(\d)_block(\d+)_(\d)_(conv|bn)$/.exec(name);
  if (!m) return name;
  const branch = ["1", "2a", "2b", "2c"][Number(m[3])];
  return `${m[4] === "conv" ? "res" : "bn"}${m[1]}${String.fromCharCode(96 + Number(m[2]))}_branch${branch}`;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tessera-weights-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const x = () => tf.randomUniform([2, 40, 40, 3], -1, 1, "float32", 3) as tf.Tensor4D;
const predict = (m: tf.LayersModel) => Array.from((m.predict(x()) as tf.Tensor).dataSync());

describe("pretrained: <folder>", () => {
  test("a saved model loads back by name and predicts the same", async () => {
    const source = await buildModel(spec({}), 4, { seed: 1 });
    await source.model.save(fileHandler(path.join(dir, "same")));
    const loaded = await buildModel(spec({ pretrained: path.join(dir, "same") }), 4, { seed: 2 });
    expect(loaded.loadReport).toEqual({ loaded: expect.any(Number), skipped: [] });
    const a = predict(source.model);
    const b = predict(loaded.model);
    b.forEach((v, i) => expect(v).toBeCloseTo(a[i]!, 5));
  });

  test("Keras 2.2 names map onto ours, BN epsilon comes from the source, a foreign head is skipped", async () => {
    const source = await buildModel(spec({}), 10, { seed: 1 });
    const out = path.join(dir, "keras22");
    await source.model.save(fileHandler(out));
    const json = JSON.parse(await readFile(path.join(out, "model.json"), "utf8"));
    for (const w of json.weightsManifest[0].weights) {
      const [layer, param] = w.name.split("/");
      w.name = `${toKeras22(layer)}/${param}`;
    }
    for (const l of json.modelTopology.config.layers)
      if (l.class_name === "BatchNormalization") l.config.epsilon = 1e-3;
    await writeFile(path.join(out, "model.json"), JSON.stringify(json));

    const loaded = await buildModel(spec({ pretrained: out }), 3);
    expect(loaded.loadReport?.skipped).toEqual(["logits"]);
    expect(loaded.preprocessing).toBe("caffe");
    expect((loaded.model.getLayer("conv3_block2_2_bn").getConfig() as { epsilon: number }).epsilon).toBe(1e-3);
    const w = (m: tf.LayersModel) => Array.from(m.getLayer("conv4_block3_1_conv").getWeights()[0]!.dataSync());
    expect(w(loaded.model)).toEqual(w(source.model));
  });

  test("weights of another width fail with the layer, both shapes and what to change", async () => {
    const source = await buildModel(spec({ width: 0.125 }), 4);
    await source.model.save(fileHandler(path.join(dir, "wide")));
    await expect(buildModel(spec({ pretrained: path.join(dir, "wide") }), 4)).rejects.toThrow(
      /does not fit this backbone .*conv1_conv\/kernel has shape \[7,7,3,8\] in the source, the model needs \[7,7,3,4\].*width/,
    );
  });

  test("a missing folder names the file", async () => {
    await expect(buildModel(spec({ pretrained: path.join(dir, "nope") }), 4)).rejects.toThrow(
      /nope\/model\.json: cannot read/,
    );
  });

  test("resnet18 has no ImageNet source and says what to use instead", async () => {
    await expect(
      buildModel(spec({ backbone: "resnet18", pretrained: "imagenet", width: 1 }), 4, { cacheDir: dir }),
    ).rejects.toThrow(/no ImageNet weights are known for resnet18/);
  });
});

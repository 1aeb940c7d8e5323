import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as tf from "../../tf";
import { loadCheckpoint, saveCheckpoint, type CheckpointInfo } from "./io";

function tinyModel(): tf.LayersModel {
  const input = tf.input({ shape: [null, null, 3] as unknown as number[] });
  let y = tf.layers.conv2d({ filters: 2, kernelSize: 3, name: "conv1_conv" }).apply(input) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization({ name: "conv1_bn" }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  y = tf.layers.dense({ units: 3, name: "logits" }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y });
}

const info: CheckpointInfo = {
  format: 1,
  stage: "head",
  epoch: 2,
  step: 10,
  fold: null,
  monitor: "valid.accuracy",
  value: 0.9,
  classes: ["a", "b", "c"],
  preprocessing: "none",
  size: 8,
  time: "2026-01-01T00:00:00.000Z",
};

describe("checkpoint folders", () => {
  it("save and load back the same model, replacing an older checkpoint without temp leftovers", async () => {
    const root = mkdtempSync(join(tmpdir(), "tessera-ckpt-"));
    const dir = join(root, "checkpoints", "best");
    const model = tinyModel();
    await saveCheckpoint(tinyModel(), dir, { ...info, epoch: 1 });
    await saveCheckpoint(model, dir, info);
    expect(readdirSync(join(root, "checkpoints"))).toEqual(["best"]);
    expect(readdirSync(dir).sort()).toEqual(["checkpoint.json", "model.json", "weights.bin"]);
    expect(JSON.parse(readFileSync(join(dir, "model.json"), "utf8")).format).toBe("layers-model");

    const loaded = await loadCheckpoint(dir);
    expect(loaded.info.epoch).toBe(2);
    const x = tf.randomUniform([2, 8, 8, 3], 0, 1, "float32", 1);
    const a = (model.predict(x) as tf.Tensor).arraySync();
    const b = (loaded.model.predict(x) as tf.Tensor).arraySync();
    expect(b).toEqual(a);
  });

  it("says which folder is not a checkpoint", async () => {
    await expect(loadCheckpoint("/nonexistent/ckpt")).rejects.toThrow(/nonexistent\/ckpt: no model.json/);
  });
});

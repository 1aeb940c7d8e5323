import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as tf from "../../tf";
import { loadCheckpoint, saveCheckpoint } from "./io";
import { checkpointInfo, tinyCheckpointModel } from "./testing";

const tinyModel = () => tinyCheckpointModel({ size: null });
const info = checkpointInfo({ epoch: 2, step: 10, value: 0.9 });

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

/** The best checkpoint's tie rule: an epoch that equals the best so far replaces it (the later epoch wins). */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as tf from "../../tf";
import { checkpointing } from "./checkpointing";
import type { EpochLogs, LoopControl } from "../loop/hooks";

const logs = (epoch: number, valid_accuracy: number): EpochLogs =>
  ({
    stage: "s",
    fold: null,
    epoch,
    epochs: 3,
    step: epoch * 4,
    train_loss: 1,
    valid_loss: 1,
    valid_accuracy,
    per_class: [],
    confusion: [],
    seconds: 1,
    eval: {},
    validIndices: [],
  }) as unknown as EpochLogs;
const control = (): LoopControl => ({ stopStage: false, reason: null });

describe("the best checkpoint", () => {
  it("goes to the later epoch on a tie, and only moves on an equal or better value", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "tessera-ties-"));
    const input = tf.input({ shape: [2] });
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2 }).apply(input) as tf.SymbolicTensor });
    const hook = checkpointing({
      runDir,
      model,
      monitor: "valid.accuracy",
      mode: "max",
      classes: ["a", "b"],
      preprocessing: "none",
      sizes: { s: 8 },
      emit: () => undefined,
    });
    await hook.onEpochEnd!(logs(1, 0.75), control());
    await hook.onEpochEnd!(logs(2, 0.75), control());
    await hook.onEpochEnd!(logs(3, 0.5), control());
    expect(hook.best()).toEqual({ stage: "s", epoch: 2, value: 0.75 });
    const info = JSON.parse(readFileSync(join(runDir, "checkpoints", "best", "checkpoint.json"), "utf8"));
    expect(info.epoch).toBe(2);
  });
});

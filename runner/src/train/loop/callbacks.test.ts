import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunEventBody } from "@tessera/shared";
import * as tf from "../../tf";
import { earlyStopping, eventHooks, improves, monitorValue } from "./callbacks";
import { checkpointing } from "../checkpoints/checkpointing";
import type { EpochLogs, LoopControl } from "./hooks";

const epochLogs = (epoch: number, over: Partial<EpochLogs> = {}): EpochLogs => ({
  stage: "s",
  fold: null,
  epoch,
  epochs: 10,
  step: epoch * 4,
  train_loss: 1,
  valid_loss: 1,
  valid_accuracy: 0.5,
  per_class: [],
  confusion: [],
  seconds: 1,
  eval: {} as EpochLogs["eval"],
  validIndices: [],
  ...over,
});
const control = (): LoopControl => ({ stopStage: false, reason: null });

describe("monitor helpers", () => {
  it("reads the monitored value and compares by mode and min_delta", () => {
    const l = { train_loss: 0.3, valid_loss: 0.2, valid_accuracy: 0.9 };
    expect(monitorValue(l, "valid.accuracy")).toBe(0.9);
    expect(monitorValue(l, "train.loss")).toBe(0.3);
    expect(improves(0.5, null, "max")).toBe(true);
    expect(improves(0.5, 0.5, "max")).toBe(false);
    expect(improves(0.4, 0.5, "min", 0.05)).toBe(true);
    expect(improves(0.46, 0.5, "min", 0.05)).toBe(false);
    expect(improves(NaN, null, "min")).toBe(false);
  });
});

describe("earlyStopping hook", () => {
  it("stops after `patience` epochs without improvement and starts over each stage", () => {
    const hook = earlyStopping({ monitor: "valid.loss", mode: "min", patience: 2, min_delta: 0 });
    const c = control();
    const losses = [1.0, 0.8, 0.85, 0.9];
    losses.forEach((valid_loss, i) => hook.onEpochEnd!(epochLogs(i + 1, { valid_loss }), c));
    expect(c.stopStage).toBe(true);
    expect(c.reason).toMatch(/valid.loss did not improve for 2 epoch/);
    hook.onStageBegin!({} as never, control());
    const c2 = control();
    hook.onEpochEnd!(epochLogs(1, { valid_loss: 5 }), c2);
    expect(c2.stopStage).toBe(false);
  });
});

describe("eventHooks", () => {
  it("maps logs to event bodies, adding fold only for k-fold runs", () => {
    const out: RunEventBody[] = [];
    const hooks = eventHooks((b) => out.push(b));
    hooks.onEpochEnd!(epochLogs(1), control());
    hooks.onEpochEnd!(epochLogs(2, { fold: 3 }), control());
    expect(out[0]).toMatchObject({ type: "epoch", stage: "s", epoch: 1, step: 4, valid_accuracy: 0.5 });
    expect(out[0]).not.toHaveProperty("fold");
    expect(out[0]).not.toHaveProperty("eval");
    expect(out[1]).toMatchObject({ fold: 3 });
  });
});

describe("checkpointing hook", () => {
  it("writes last every epoch and best only on improvement, announcing each", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "tessera-cb-"));
    const input = tf.input({ shape: [2] });
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2 }).apply(input) as tf.SymbolicTensor });
    const events: RunEventBody[] = [];
    const hook = checkpointing({
      runDir,
      model,
      monitor: "valid.accuracy",
      mode: "max",
      classes: ["a", "b"],
      preprocessing: "none",
      sizes: { s: 32 },
      emit: (b) => events.push(b),
    });
    for (const [epoch, acc] of [
      [1, 0.5],
      [2, 0.7],
      [3, 0.6],
    ] as const) {
      await hook.onEpochEnd!(epochLogs(epoch, { valid_accuracy: acc }), control());
    }
    const kinds = events.map((e) => (e.type === "checkpoint" ? `${e.kind}@${e.epoch}` : e.type));
    expect(kinds).toEqual(["last@1", "best@1", "last@2", "best@2", "last@3"]);
    expect(hook.best()).toEqual({ stage: "s", epoch: 2, value: 0.7 });
    const best = JSON.parse(readFileSync(join(runDir, "checkpoints/best/checkpoint.json"), "utf8"));
    const last = JSON.parse(readFileSync(join(runDir, "checkpoints/last/checkpoint.json"), "utf8"));
    expect([best.epoch, last.epoch, best.size]).toEqual([2, 3, 32]);
  });
});

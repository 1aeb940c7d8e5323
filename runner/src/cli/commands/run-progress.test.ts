import { describe, expect, it } from "vitest";
import type { ResolvedStage } from "@tessera/shared";
import { progressHooks } from "./run-progress";

function fakeStream(): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const stream = { isTTY: false, write: (s: string) => (chunks.push(s), true) } as unknown as NodeJS.WriteStream;
  return { stream, text: () => chunks.join("") };
}

const stage = { name: "head", index: 0, size: 32, epochs: 2 } as ResolvedStage;
const control = { stopStage: false, reason: null };

describe("progress without a TTY", () => {
  it("prints plain lines: the stage plan, a few batch lines per epoch, and each epoch's metrics", () => {
    const { stream, text } = fakeStream();
    const p = progressHooks(stream);
    p.onStageBegin!(
      { stage, fold: null, stepsPerEpoch: 8, batchSize: 4, lrs: { head: 1e-3 }, trainable: ["head"] },
      control,
    );
    for (let b = 1; b <= 8; b++) {
      const logs = {
        stage: "head",
        fold: null,
        epoch: 1,
        step: b,
        batch: b,
        batches: 8,
        loss: 1 / b,
        lr: {},
        images_per_s: 10,
      };
      p.onBatchEnd!(logs, control);
    }
    p.onEpochEnd!(
      {
        stage: "head",
        fold: null,
        epoch: 1,
        epochs: 2,
        step: 8,
        train_loss: 0.5,
        valid_loss: 0.25,
        valid_accuracy: 0.875,
        per_class: [],
        confusion: [],
        seconds: 1.5,
        eval: {} as never,
        validIndices: [],
      },
      control,
    );
    p.close();
    const lines = text().trim().split("\n");
    expect(lines[0]).toContain("head: size 32, 2 epoch(s) x 8 batches of 4, trains [head], LR head=1.0e-3");
    expect(lines.filter((l) => l.includes(" batch "))).toHaveLength(4); // every 2nd batch of 8
    expect(lines.at(-1)).toMatch(
      /head epoch 1\/2: train_loss 0\.5000 valid_loss 0\.2500 valid_accuracy .*0\.8750.* \(1\.5 s\)/,
    );
    expect(text()).not.toContain("\u001b[?25l"); // no cursor control codes when not a TTY
  });
});

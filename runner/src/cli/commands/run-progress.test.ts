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

describe("progress before training, without a TTY", () => {
  it("names the backend, prints image-check lines at most every 5 s, the dataset and the run id", () => {
    const { stream, text } = fakeStream();
    let clock = 0;
    const p = progressHooks(stream, () => clock);
    p.onSetup({ kind: "backend", name: "wasm", threads: 2 });
    for (let done = 1; done <= 100; done++) {
      clock = done * 200; // 20 s in all
      p.onSetup({ kind: "data", done, total: 100 });
    }
    p.onSetup({ kind: "data_loaded", images: 100, classes: 4, skipped: 1, seconds: 20 });
    p.onRunEvent({ type: "run_started", run_id: "r1", seed: 7 } as never);
    p.close();
    const lines = text().trim().split("\n");
    expect(lines[0]).toBe("backend wasm (2 threads)");
    const reading = lines.filter((l) => l.startsWith("reading and checking images: "));
    expect(reading).toEqual([
      "reading and checking images: 26/100",
      "reading and checking images: 51/100",
      "reading and checking images: 76/100",
    ]);
    expect(lines).toContain("data: 100 images, 4 classes, 1 skipped (20.0 s)");
    expect(lines.at(-1)).toBe("run r1 started (seed 7)");
  });
});

describe("LR finder progress without a TTY", () => {
  it("prints a line every 10% of the sweep's steps, then the suggestions and the warning", () => {
    const { stream, text } = fakeStream();
    const p = progressHooks(stream);
    for (let step = 1; step <= 100; step++) {
      p.onLrFindStep!({ stage: "head", fold: null, step, steps: 100, lr: 1e-7 * 1.2 ** step, loss: 2, smoothed: 2 });
    }
    p.onLrFind!({
      stage: "head",
      fold: null,
      points: [],
      suggestions: { valley: 1e-3, steep: 1e-3, minimum: 1e-4, slide: 1e-3 },
      chosen: { rule: "valley", lr: 1e-3 },
      warning: "LR finder: every suggestion sits on the first 3 points",
    });
    p.close();
    const lines = text().trimEnd().split("\n");
    const steps = lines.filter((l) => l.includes("LR finder step"));
    expect(steps.map((l) => /step (\d+)\/100/.exec(l)![1])).toEqual([
      "1",
      "10",
      "20",
      "30",
      "40",
      "50",
      "60",
      "70",
      "80",
      "90",
      "100",
    ]);
    expect(steps[0]).toMatch(/^ {2}head LR finder step 1\/100 lr 1\.2e-7 loss 2\.0000$/);
    expect(lines.at(-1)).toBe("warning: LR finder: every suggestion sits on the first 3 points");
  });
});

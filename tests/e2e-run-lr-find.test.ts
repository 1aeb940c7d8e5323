/** `tessera lr-find` as an API: a stage's groups and size, several seeds, and the spread of each suggestion. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lrFindExperiment } from "../runner/src/train/lr-find/run";
import { runExperiment } from "../runner/src/train";
import { readEvents } from "@tessera/shared/runstore";

const CONFIG = `
name: finder
seed: 11
backend: wasm
data: { source: synthetic, classes: 3, per_class: 8, image_size: 32 }
model: { backbone: resnet18, width: 0.125 }
train:
  batch_size: 4
  stages:
    - { name: head, trainable: [head], size: 32, epochs: 1, lr: { find: true, steps: 12 } }
    - { name: all, trainable: all, size: 48, epochs: 1, lr: { find: true, steps: 8, start: 1e-6, end: 1 } }
`;

describe("lrFindExperiment", () => {
  it("sweeps a named stage once per seed and reports min <= median <= max per suggestion", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-lrf-"));
    writeFileSync(join(dir, "c.yaml"), CONFIG);
    const setup: string[] = [];
    const r = await lrFindExperiment({
      configFile: join(dir, "c.yaml"),
      stage: "all",
      seeds: 3,
      cacheDir: false,
      onSetup: (step) => setup.push(step.kind),
    });
    // lr-find said nothing while it chose the backend and loaded the data.
    expect([setup[0], setup.at(-1)]).toEqual(["backend", "data_loaded"]);
    expect([r.stage, r.size, r.steps]).toEqual(["all", 48, 8]);
    expect(r.trainable).toEqual(["early", "late", "head"]);
    expect(r.sweeps.map((s) => s.seed)).toEqual([11, 12, 13]);
    for (const s of r.sweeps) expect(s.points[0]!.lr).toBeCloseTo(1e-6, 15);
    expect(r.sweeps[0]!.points.map((p) => p.loss)).not.toEqual(r.sweeps[1]!.points.map((p) => p.loss));
    for (const s of Object.values(r.spread)) {
      expect(s.min).toBeLessThanOrEqual(s.median);
      expect(s.median).toBeLessThanOrEqual(s.max);
      expect(s.ratio).toBeCloseTo(s.max / s.min, 10);
    }
    await expect(lrFindExperiment({ configFile: join(dir, "c.yaml"), stage: "nope" })).rejects.toThrow(
      /--stage nope: no such stage; the stages are head, all/,
    );
  });

  it("draws the batches the run's own finder draws: the same seed gives the same curve", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-lrf-"));
    // train_bn keeps the activation cache out, so both sweeps run the same full model.
    writeFileSync(
      join(dir, "c.yaml"),
      CONFIG.replace("lr: { find: true, steps: 12 } }", "lr: { find: true, steps: 12 }, train_bn: true }"),
    );
    const alone = await lrFindExperiment({ configFile: join(dir, "c.yaml"), stage: "head", cacheDir: false });
    const run = await runExperiment({
      configFile: join(dir, "c.yaml"),
      runsDir: join(dir, "runs"),
      cacheDir: false,
      set: [
        "train.stages=[{name: head, trainable: [head], size: 32, epochs: 1, train_bn: true, lr: {find: true, steps: 12}}]",
      ],
    });
    const inRun = readEvents(run.runDir).find((e) => e.type === "lr_find");
    expect(inRun?.type).toBe("lr_find");
    const losses = (points: { loss: number }[]) => points.map((p) => p.loss);
    expect(losses(inRun!.type === "lr_find" ? inRun!.points : [])).toEqual(losses(alone.sweeps[0]!.points));
  });
});

/**
 * End to end through `runExperiment`: a tiny ResNet (width 1/8) on synthetic tissue, two stages
 * (head only with `lr: {find: true}` at 32 px, then everything with discriminative LRs at 48 px),
 * and the run folder checked file by file and event by event, not just "it exited 0".
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { EventOf, RunEvent, RunMeta, RunSummary } from "@tessera/shared";
import * as tf from "../runner/src/tf";
import { loadCheckpoint, runExperiment, type RunExperimentResult } from "../runner/src/train";

const CONFIG = `
name: e2e-tiny
seed: 7
backend: wasm
data:
  source: synthetic
  classes: 3
  per_class: 16
  image_size: 48
  split: { valid: 0.25 }
  augment: { dihedral: true }
model:
  backbone: resnet18
  width: 0.125
  head: { dropout: 0.1 }
train:
  batch_size: 8
  optimizer: { name: adamw, weight_decay: 0.01 }
  stages:
    - name: head
      trainable: [head]
      size: 32
      epochs: 1
      lr: { find: true, steps: 12, spread: 10 }
    - name: all
      trainable: all
      size: 48
      epochs: 3
      lr: { min: 1e-4, max: 3e-3 }
      schedule: { name: sgdr, cycle_epochs: 1, cycle_mult: 1 }
tta: true
`;

const byType = <T extends RunEvent["type"]>(events: RunEvent[], type: T) =>
  events.filter((e): e is EventOf<T> => e.type === type);

describe("tessera run, end to end (tiny ResNet, synthetic)", () => {
  let result: RunExperimentResult;
  let events: RunEvent[];
  const tensorsAtEpochEnd: number[] = [];

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-e2e-"));
    writeFileSync(join(dir, "tiny.yaml"), CONFIG);
    result = await runExperiment({
      configFile: join(dir, "tiny.yaml"),
      runsDir: join(dir, "runs"),
      cacheDir: false,
      hooks: [{ onEpochEnd: (l) => void (l.stage === "all" && tensorsAtEpochEnd.push(tf.memory().numTensors)) }],
    });
    events = readFileSync(join(result.runDir, "events.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as RunEvent);
  });

  it("writes every file of the run folder", () => {
    const files = readdirSync(result.runDir).sort();
    for (const f of ["config.yaml", "meta.json", "events.jsonl", "summary.json", "split.json", "checkpoints"]) {
      expect(files).toContain(f);
    }
    for (const kind of ["best", "last"]) {
      const dir = join(result.runDir, "checkpoints", kind);
      expect(readdirSync(dir).sort()).toEqual(["checkpoint.json", "model.json", "weights.bin"]);
    }
    const meta = JSON.parse(readFileSync(join(result.runDir, "meta.json"), "utf8")) as RunMeta;
    expect(meta).toMatchObject({ format: 1, status: "finished", name: "e2e-tiny", seed: 7, attempt: 1 });
    expect(meta.backend?.name).toBe("wasm");
    expect(meta.data_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(join(result.runDir, "config.yaml"), "utf8")).toContain("e2e-tiny");
  });

  it("numbers events 0..n-1 with format 1 and attempt 1, run_started first and run_finished last", () => {
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(events.every((e) => e.format === 1 && e.attempt === 1 && typeof e.time === "string")).toBe(true);
    expect(events[0]!.type).toBe("run_started");
    expect(events.at(-1)!.type).toBe("run_finished");
    const types = new Set(events.map((e) => e.type));
    for (const t of ["lr_find", "stage_started", "batch", "epoch", "checkpoint", "stage_finished"]) {
      expect(types.has(t as RunEvent["type"]), t).toBe(true);
    }
    const started = byType(events, "run_started")[0]!;
    expect(started.classes).toHaveLength(3);
    expect(started.backend).toBe("wasm");
  });

  it("runs the LR finder for the head stage and uses its valley pick as the top group's LR", () => {
    const find = byType(events, "lr_find")[0]!;
    expect(find.stage).toBe("head");
    expect(find.points.length).toBeGreaterThan(3);
    expect(find.points[0]!.lr).toBeCloseTo(1e-7, 12);
    expect(Object.keys(find.suggestions).sort()).toEqual(["minimum", "slide", "steep", "valley"]);
    expect(find.chosen.rule).toBe("valley");
    const [head, all] = byType(events, "stage_started");
    expect(head!.lr.head).toBeCloseTo(find.chosen.lr, 12);
    expect(head!.lr.early).toBeCloseTo(find.chosen.lr / 10, 12); // spread 10 over all groups
    expect(head!.trainable).toEqual(["head"]);
    expect(all!.trainable).toEqual(["early", "late", "head"]);
  });

  it("writes an lr_find_step event per sweep step before the result, and warns that 12 steps are too few", () => {
    const find = byType(events, "lr_find")[0]!;
    const steps = byType(events, "lr_find_step");
    expect(steps.map((e) => e.step)).toEqual(find.points.map((_, i) => i + 1));
    expect(steps.map((e) => e.lr)).toEqual(find.points.map((p) => p.lr));
    expect(steps.every((e) => e.stage === "head" && e.steps === 12 && e.seq < find.seq)).toBe(true);
    expect(find.warning).toMatch(/^LR finder: its rules saw only \d+ points of a 12-step sweep/);
  });

  it("resizes progressively and spreads LRs over the groups in batch events", () => {
    const [head, all] = byType(events, "stage_started");
    expect([head!.size, all!.size]).toEqual([32, 48]);
    const batches = byType(events, "batch").filter((b) => b.stage === "all");
    expect(batches).toHaveLength(all!.steps_per_epoch * 3);
    const first = batches[0]!;
    expect(Object.keys(first.lr)).toEqual(["early", "late", "head"]);
    expect(first.lr.early! / first.lr.head!).toBeCloseTo(1e-4 / 3e-3, 8);
    // sgdr with 1-epoch cycles: the LR restarts at max at the start of each epoch
    expect(first.lr.head).toBeCloseTo(3e-3, 10);
    const epoch2 = batches.find((b) => b.epoch === 2)!;
    expect(epoch2.lr.head).toBeCloseTo(3e-3, 10);
    expect(batches.every((b) => Number.isFinite(b.loss) && b.images_per_s > 0)).toBe(true);
  });

  it("records per-epoch validation metrics, checkpoints and stage bests", () => {
    const epochs = byType(events, "epoch");
    expect(epochs.map((e) => `${e.stage}:${e.epoch}`)).toEqual(["head:1", "all:1", "all:2", "all:3"]);
    for (const e of epochs) {
      expect(e.confusion).toHaveLength(3);
      expect(e.confusion.flat().reduce((a, b) => a + b, 0)).toBe(12); // 25% of 48
      expect(e.per_class.map((p) => p.class)).toEqual(byType(events, "run_started")[0]!.classes);
      expect(e.valid_accuracy).toBeGreaterThanOrEqual(0);
    }
    const ckpts = byType(events, "checkpoint");
    expect(ckpts.filter((c) => c.kind === "last")).toHaveLength(4);
    expect(ckpts[0]).toMatchObject({ kind: "last", path: "checkpoints/last", monitor: "valid.accuracy" });
    expect(ckpts.some((c) => c.kind === "best")).toBe(true);
    const finished = byType(events, "stage_finished");
    expect(finished.map((f) => f.stage)).toEqual(["head", "all"]);
  });

  it("writes a summary that matches the last epoch, with TTA and top losses", () => {
    const summary = JSON.parse(readFileSync(join(result.runDir, "summary.json"), "utf8")) as RunSummary;
    const lastEpoch = byType(events, "epoch").at(-1)!;
    expect(summary.final.valid_accuracy).toBe(lastEpoch.valid_accuracy);
    expect(summary.confusion).toEqual(lastEpoch.confusion);
    expect(summary.tta_accuracy).not.toBeNull();
    expect(summary.best?.monitor).toBe("valid.accuracy");
    expect(byType(events, "run_finished")[0]!.summary).toEqual(summary);
    const top = JSON.parse(readFileSync(join(result.runDir, "top_losses", "top_losses.json"), "utf8")) as {
      image: string;
      loss: number;
    }[];
    expect(top).toHaveLength(9);
    expect(top[0]!.loss).toBeGreaterThanOrEqual(top[8]!.loss);
    expect(existsSync(join(result.runDir, top[0]!.image))).toBe(true);
  });

  it("keeps tf.memory().numTensors flat across epochs", () => {
    expect(tensorsAtEpochEnd).toHaveLength(3);
    expect(new Set(tensorsAtEpochEnd).size).toBe(1);
  });

  it("saves a best checkpoint that loads and predicts the 3 classes", async () => {
    const { model, info } = await loadCheckpoint(join(result.runDir, "checkpoints", "best"));
    expect(info.classes).toHaveLength(3);
    const out = model.predict(tf.zeros([1, 48, 48, 3])) as tf.Tensor;
    expect(out.shape).toEqual([1, 3]);
  });
});

/**
 * The runs that don't go to plan or go several ways: a diverging LR fails the run with a clear
 * message and keeps the last good checkpoint; a k-fold run trains each fold, tags stage-level events
 * with `fold`, keeps per-fold checkpoints and reports mean ± std.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { EventOf, RunEvent, RunMeta } from "@tessera/shared";
import { runExperiment } from "../runner/src/train";
import type { ActivationCacheRecord } from "../runner/src/train/activation-cache/record";

const base = (extra: string) => `
name: edges
seed: 5
backend: wasm
data: { source: synthetic, classes: 2, per_class: 8, image_size: 32 }
model: { backbone: resnet18, width: 0.125, head: { dropout: 0 } }
${extra}
`;

function setup(yaml: string): { file: string; runsDir: string } {
  const dir = mkdtempSync(join(tmpdir(), "tessera-edges-"));
  writeFileSync(join(dir, "c.yaml"), yaml);
  return { file: join(dir, "c.yaml"), runsDir: join(dir, "runs") };
}

const readEvents = (runDir: string) =>
  readFileSync(join(runDir, "events.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as RunEvent);

describe("edge runs", () => {
  it("stops on a non-finite loss, records run_failed and keeps the last good checkpoint", async () => {
    const { file, runsDir } = setup(
      base(`train:
  batch_size: 4
  optimizer: { name: sgd, momentum: 0.9, weight_decay: 0 }
  stages:
    - { name: ok, trainable: [head], size: 32, epochs: 1, lr: 1e-3, schedule: constant }
    - { name: boom, trainable: all, size: 32, epochs: 2, lr: 1e12, schedule: constant }`),
    );
    await expect(runExperiment({ configFile: file, runsDir, cacheDir: false })).rejects.toThrow(
      /training diverged: the loss became (NaN|Infinity) in stage 'boom' epoch 1 step \d+ \(LRs early=1\.00e\+12/,
    );
    const { listRuns } = await import("../runner/src/runs");
    const [run] = await listRuns(runsDir);
    const events = readEvents(run!.dir);
    const failed = events.at(-1) as EventOf<"run_failed">;
    expect(failed).toMatchObject({ type: "run_failed", stage: "boom", epoch: 1 });
    const meta = JSON.parse(readFileSync(join(run!.dir, "meta.json"), "utf8")) as RunMeta;
    expect(meta.status).toBe("failed");
    const last = JSON.parse(readFileSync(join(run!.dir, "checkpoints", "last", "checkpoint.json"), "utf8"));
    expect(last.stage).toBe("ok"); // the diverged stage never overwrote it
  });

  it("runs k folds, tags events with fold and summarises mean and std", async () => {
    const { file, runsDir } = setup(
      base(`train:
  batch_size: 4
  stages:
    - { name: only, trainable: all, size: 32, epochs: 1, lr: 1e-3 }`).replace(
        "image_size: 32 }",
        "image_size: 32, split: { protocol: kfold, k: 2 } }",
      ),
    );
    const { runDir, summary } = await runExperiment({ configFile: file, runsDir, cacheDir: false });
    const events = readEvents(runDir);
    const epochs = events.filter((e): e is EventOf<"epoch"> => e.type === "epoch");
    expect(epochs.map((e) => e.fold)).toEqual([0, 1]);
    expect(events.filter((e) => e.type === "stage_started").map((e) => e.fold)).toEqual([0, 1]);
    expect(events.find((e) => e.type === "run_started")!.fold).toBeUndefined();
    for (const f of [0, 1])
      expect(existsSync(join(runDir, "checkpoints", `fold${f}`, "best", "model.json"))).toBe(true);
    expect(summary.folds!.map((f) => f.fold)).toEqual([0, 1]);
    const accs = epochs.map((e) => e.valid_accuracy);
    expect(summary.folds_mean).toBeCloseTo((accs[0]! + accs[1]!) / 2, 10);
    expect(summary.folds_std).toBeCloseTo(Math.abs(accs[0]! - accs[1]!) / 2, 10);
  });

  it("k folds share the frozen prefix's activations and report TTA per fold", async () => {
    const { file, runsDir } = setup(
      base(`tta: true
train:
  batch_size: 4
  stages:
    - { name: head, trainable: [head], train_bn: false, size: 32, epochs: 1, lr: 1e-3 }`).replace(
        "image_size: 32 }",
        "image_size: 32, split: { protocol: kfold, k: 2 }, augment: { dihedral: false } }",
      ),
    );
    const { runDir, summary } = await runExperiment({ configFile: file, runsDir, cacheDir: false });
    const records = JSON.parse(readFileSync(join(runDir, "activation_cache.json"), "utf8")) as ActivationCacheRecord[];
    expect(records.map((r) => r.fold)).toEqual([0, 1]);
    // One view per image: fold 0 computes all 16 rows, fold 1 (same pretrained prefix) none.
    expect(records.map((r) => [r.filled_rows, r.reused_rows])).toEqual([
      [16, 0],
      [0, 16],
    ]);
    const ttas = summary.folds!.map((f) => f.tta_accuracy!);
    for (const t of ttas) expect(t).toBeGreaterThanOrEqual(0);
    expect(summary.folds_tta_mean).toBeCloseTo((ttas[0]! + ttas[1]!) / 2, 10);
    expect(summary.folds_tta_std).toBeCloseTo(Math.abs(ttas[0]! - ttas[1]!) / 2, 10);
  });
});

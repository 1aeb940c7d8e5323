/**
 * A k-fold run interrupted in fold 2 and resumed: mean ± std (and the TTA mean ± std) cover every
 * fold, not only the folds the last attempt trained, and equal an uninterrupted run's.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runExperiment } from "../runner/src/train";
import type { Interrupt } from "../runner/src/train/interrupt";

const CONFIG = `
name: kfold-resume
seed: 4
backend: wasm
tta: true
data: { source: synthetic, classes: 2, per_class: 6, image_size: 32, split: { protocol: kfold, k: 3 } }
model: { backbone: resnet18, width: 0.125 }
train:
  batch_size: 4
  stages:
    - { name: only, trainable: all, size: 32, epochs: 1, lr: 1e-3 }
`;

describe("a k-fold run resumed in a later fold", () => {
  it("summarises every fold", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-kfold-resume-"));
    writeFileSync(join(dir, "c.yaml"), CONFIG);
    const whole = await runExperiment({ configFile: join(dir, "c.yaml"), runsDir: join(dir, "a"), cacheDir: false });
    expect(whole.summary.folds).toHaveLength(3);

    let stop = false;
    const interrupt: Interrupt = { requested: () => stop, request: () => (stop = true), dispose: () => undefined };
    const runsDir = join(dir, "b");
    let runDir = "";
    await expect(
      runExperiment({
        configFile: join(dir, "c.yaml"),
        runsDir,
        cacheDir: false,
        interrupt,
        onEvent: (e) => {
          if (e.type === "run_started") runDir = join(runsDir, e.run_id);
          if (e.type === "stage_started" && e.fold === 2) stop = true;
        },
      }),
    ).rejects.toThrow(/interrupted/);
    const resumed = await runExperiment({ resume: runDir, runsDir, cacheDir: false });
    const s = resumed.summary;
    expect(s.folds!.map((f) => f.fold)).toEqual([0, 1, 2]);
    expect(s.folds!.map((f) => f.valid_accuracy)).toEqual(whole.summary.folds!.map((f) => f.valid_accuracy));
    expect(s.folds_mean).toBeCloseTo(whole.summary.folds_mean!, 10);
    expect(s.folds_std).toBeCloseTo(whole.summary.folds_std!, 10);
    expect(s.folds!.map((f) => f.tta_accuracy)).toEqual(whole.summary.folds!.map((f) => f.tta_accuracy));
    expect(s.folds_tta_mean).toBeCloseTo(whole.summary.folds_tta_mean!, 10);
  });
});

import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { drawTrial } from "@tessera/shared";
import { checkConfig } from "../config";
import { ashaEpochs, formatSweepPlan, planSweep } from "./plan";

const ASHA = resolve(import.meta.dirname, "../../../tests/fixtures/sweeps/tiny-asha.yaml");

describe("ashaEpochs", () => {
  it("counts ⌊n/η^k⌋ trials at rung k, each training the epochs between rungs", () => {
    expect(ashaEpochs(8, 3, [1, 3])).toBe(8 * 1 + 2 * 2);
    expect(ashaEpochs(27, 3, [1, 3, 9])).toBe(27 * 1 + 9 * 2 + 3 * 6);
    expect(ashaEpochs(5, 2, [4])).toBe(20);
  });
});

describe("planSweep", () => {
  it("lists the seeded draws with each trial's config_hash and the cost, and writes nothing", async () => {
    const runsDir = mkdtempSync(join(tmpdir(), "tessera-plan-"));
    const plan = await planSweep(ASHA, { runsDir });
    expect(plan.trials).toHaveLength(8);
    const parameters = {
      "train.stages[head].lr": { log_uniform: [1e-4, 1e-1] as [number, number] },
      "model.head.dropout": { uniform: [0, 0.5] as [number, number] },
    };
    expect(plan.trials.map((t) => t.params)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => drawTrial(parameters, 5, i)));
    const third = plan.trials[3]!;
    const sets = Object.entries(third.params).map(([p, v]) => `${p}=${JSON.stringify(v)}`);
    const checked = await checkConfig(ASHA, { set: sets, sweepTrials: false });
    expect(checked.ok && checked.loaded.configHash).toBe(third.config_hash);
    expect(plan.rungs).toEqual([1, 3]);
    // 24 synthetic images, a quarter held out: 18 train per epoch.
    expect(plan.cost).toMatchObject({ epochs: 12, epochs_max: 24, train_images: 18, images: 216, minutes: null });
    expect(formatSweepPlan(plan)).toContain(
      "cost: 12 epochs expected (at most 24), 216 training images (18 per epoch)",
    );
    expect(readdirSync(runsDir)).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import type { ResolvedConfig } from "@tessera/shared";
import type { LoadedConfig } from "./index";
import { makePlan } from "./plan";
import { chart, formatPlan } from "./plan-format";
import { resolve } from "./resolve";

const config: ResolvedConfig = resolve({
  name: "p",
  data: { source: "synthetic" },
  model: { backbone: "resnet18", width: 0.25 },
  train: {
    batch_size: 10,
    stages: [
      { name: "head", trainable: ["head"], epochs: 2, size: 32, lr: { find: true, spread: 100 } },
      {
        name: "all",
        trainable: "all",
        bn: "inference",
        epochs: 3,
        size: 32,
        lr: { min: 1e-8, max: 1e-6 },
        schedule: "sgdr",
      },
    ],
    recompute: true,
  },
});
const loaded: LoadedConfig = { config, configHash: "0".repeat(64), file: "/x/p.yaml", resolvedYaml: "" };

describe("makePlan", () => {
  it("spreads fixed LRs over the groups and describes the finder's", () => {
    const plan = makePlan(loaded, null);
    const [head, all] = plan.stages;
    expect(head!.lr).toMatchObject({ kind: "find", groups: { early: "lr/100", late: "lr/10", head: "lr" } });
    expect(head!.frozen).toEqual(["early", "late"]);
    const groups = (all!.lr as { groups: Record<string, number> }).groups;
    expect(Object.keys(groups)).toEqual(["early", "late", "head"]);
    expect(groups.late! / 1e-7).toBeCloseTo(1, 10);
    expect(all!.stepsPerEpoch).toBeNull();
  });

  it("shows the BatchNorm mode and recomputation", () => {
    const plan = makePlan(loaded, null);
    expect(plan.stages.map((s) => s.bn)).toEqual(["train", "inference"]);
    expect(plan.recompute).toBe(true);
    const text = formatPlan(plan);
    expect(text).toMatch(/trains {4}early, late, head \(BatchNorm in inference mode/);
    expect(text).toMatch(/recompute: each ResNet block/);
    expect(text.match(/BatchNorm in inference/g)).toHaveLength(1);
  });

  it("counts full batches per epoch like the engine (drop_last)", () => {
    const count = {
      images: 100,
      classes: ["a", "b"],
      perClass: { a: 50, b: 50 },
      folds: [{ id: 0, train: 75, valid: 25 }],
      warnings: [],
    };
    const plan = makePlan(loaded, count);
    expect(plan.stages.map((s) => [s.stepsPerEpoch, s.totalSteps])).toEqual([
      [7, 14],
      [7, 21],
    ]);
  });

  it("draws SGDR restarts at epochs 1 and 3 (0-based) in the chart", () => {
    const stage = makePlan(loaded, null, 30).stages[1]!;
    const top = chart(stage, 1)[0]!.slice("  max │".length);
    // sampled every 0.1 epoch: full height at each restart, low just before it
    expect(top[0]).toBe("█");
    expect(top[10]).toBe("█");
    expect(top[9]).not.toBe("█");
  });
});

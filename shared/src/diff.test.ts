import { describe, expect, it } from "vitest";
import { diffConfigDocuments, diffConfigs, formatChange, formatValue } from "./diff";
import type { ResolvedConfig, ResolvedStage } from "./resolved";

function stage(index: number, name: string, over: Partial<ResolvedStage> = {}): ResolvedStage {
  return {
    name,
    index,
    trainable: ["head"],
    train_bn: true,
    bn: "train",
    epochs: 2,
    size: 64,
    batch_size: 16,
    lr: { kind: "fixed", min: 1e-6, max: 1e-4 },
    schedule: { name: "constant" },
    ...over,
  };
}

function base(): ResolvedConfig {
  return {
    name: "exp",
    description: "",
    seed: 42,
    backend: "auto",
    inference_engine: "auto",
    data: {
      source: "folder",
      path: "data/kimia",
      label: { from: "folder" },
      split: { protocol: "holdout", valid: 0.2, k: 5, folds: null, stratify: true, seed: 42 },
      resize: "squish",
      normalize: "auto",
      augment: { dihedral: true, crop: null, brightness: 0, contrast: 0, stain_jitter: 0 },
      on_bad_image: "error",
    },
    model: {
      backbone: "resnet50",
      pretrained: "imagenet",
      width: 1,
      head: { dropout: 0.5, hidden: 0 },
      groups: { early: ["stem", "conv2", "conv3"], late: ["conv4", "conv5"], head: ["head"] },
    },
    train: {
      batch_size: 16,
      micro_batch: 16,
      recompute: false,
      optimizer: { name: "adam", weight_decay: 0.01, momentum: 0.9, beta1: 0.9, beta2: 0.99, eps: 1e-5 },
      stages: [stage(0, "head"), stage(1, "fine-tune", { trainable: ["early", "late", "head"] })],
    },
    checkpoint: { monitor: "valid.accuracy", mode: "max" },
    early_stopping: null,
    tta: false,
  };
}

const lines = (a: ResolvedConfig, b: ResolvedConfig) => diffConfigs(a, b).map(formatChange);

describe("diffConfigs", () => {
  it("finds nothing between equal configs", () => {
    expect(diffConfigs(base(), base())).toEqual([]);
  });

  it("names a stage's LR change by the stage's name", () => {
    const b = base();
    b.train.stages[1]!.lr = { kind: "fixed", min: 1e-7, max: 1e-4 };
    expect(lines(base(), b)).toEqual(["train.stages[fine-tune].lr.min: 1e-6 → 1e-7"]);
  });

  it("reports the backbone as one scalar change", () => {
    const b = base();
    b.model.backbone = "resnet152";
    expect(lines(base(), b)).toEqual(["model.backbone: resnet50 → resnet152"]);
  });

  it("names an inserted stage instead of shifting every later one", () => {
    const b = base();
    b.train.stages = [stage(0, "head"), stage(1, "warm"), { ...b.train.stages[1]!, index: 2 }];
    const changes = diffConfigs(base(), b);
    expect(changes.map((c) => [c.path, c.kind])).toEqual([
      ["train.stages[fine-tune]", "moved"],
      ["train.stages[warm]", "added"],
    ]);
    expect(formatChange(changes[1]!)).toContain("added (trainable [head], 2 epochs, size 64, lr 1e-6..1e-4");
  });

  it("names a removed stage", () => {
    const b = base();
    b.train.stages = [b.train.stages[0]!];
    expect(diffConfigs(base(), b)).toMatchObject([{ path: "train.stages[fine-tune]", kind: "removed" }]);
  });

  it("uses the index for stages that only have the default name", () => {
    const a = base();
    a.train.stages = [stage(0, "stage0")];
    const b = base();
    b.train.stages = [stage(0, "stage0", { epochs: 5 })];
    expect(lines(a, b)).toEqual(["train.stages[0].epochs: 2 → 5"]);
  });

  it("reports a tagged union switching branch as one change of the whole value", () => {
    const b = base();
    b.train.stages[0]!.lr = { kind: "find", suggest: "valley", spread: 100, steps: 100, start: 1e-7, end: 10 };
    b.train.stages[0]!.schedule = { name: "sgdr", cycle_epochs: 1, cycle_mult: 2, min_lr_ratio: 0 };
    expect(lines(base(), b)).toEqual([
      "train.stages[head].lr: 1e-6..1e-4 → find(suggest: valley, spread: 100, steps: 100, start: 1e-7, end: 10)",
      "train.stages[head].schedule: constant → sgdr(cycle_epochs: 1, cycle_mult: 2, min_lr_ratio: 0)",
    ]);
  });

  it("compares lists of plain values whole and optional blocks as on/off", () => {
    const b = base();
    b.train.stages[0]!.trainable = ["late", "head"];
    b.data.augment.crop = { scale: [0.35, 1] };
    expect(lines(base(), b)).toEqual([
      "data.augment.crop: null → {scale: [0.35, 1]}",
      "train.stages[head].trainable: [head] → [late, head]",
    ]);
  });

  it("reports layer-group order, since LRs spread over it", () => {
    const b = base();
    b.model.groups = { late: ["conv4", "conv5"], early: ["stem", "conv2", "conv3"], head: ["head"] };
    expect(lines(base(), b)).toEqual(["model.groups: order [early, late, head] → [late, early, head]"]);
  });

  it("marks machine-specific fields as not defining the experiment", () => {
    const b = base();
    b.backend = "wasm";
    if (b.data.source === "folder") b.data.path = "/elsewhere";
    expect(diffConfigs(base(), b).map((c) => [c.path, c.defining])).toEqual([
      ["backend", false],
      ["data.path", false],
    ]);
  });
});

describe("diffConfigDocuments", () => {
  it("diffs written configs, unnamed stages by index", () => {
    const a = {
      model: { backbone: "resnet50" },
      train: {
        stages: [
          { epochs: 1, lr: 1e-3 },
          { name: "ft", epochs: 2 },
        ],
      },
    };
    const b = {
      model: { backbone: "resnet50" },
      train: {
        stages: [
          { epochs: 3, lr: 1e-3 },
          { name: "ft", epochs: 2 },
        ],
      },
    };
    expect(diffConfigDocuments(a, b).map(formatChange)).toEqual(["train.stages[0].epochs: 1 → 3"]);
  });
});

describe("formatValue", () => {
  it("quotes strings that would read ambiguously", () => {
    expect(formatValue("a b")).toBe('"a b"');
    expect(formatValue("")).toBe('""');
    expect(formatValue(undefined)).toBe("(none)");
  });
});

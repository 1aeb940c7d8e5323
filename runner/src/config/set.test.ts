import { describe, expect, it } from "vitest";
import { mergeConfig } from "./extends";
import { applySets } from "./set";

const base = () => ({
  train: {
    stages: [
      { name: "head", epochs: 1 },
      { name: "fine-tune", epochs: 3, lr: 1e-3 },
    ],
  },
});

describe("--set", () => {
  it("sets by index and by stage name, parsing values as YAML", () => {
    const config: Record<string, unknown> = base();
    const { problems, applied } = applySets(config, [
      "train.stages[0].epochs=2",
      "train.stages[fine-tune].lr={min: 1e-6, max: 1e-4}",
    ]);
    expect(problems).toEqual([]);
    expect(config).toEqual({
      train: {
        stages: [
          { name: "head", epochs: 2 },
          { name: "fine-tune", epochs: 3, lr: { min: 1e-6, max: 1e-4 } },
        ],
      },
    });
    expect(applied.map((a) => a.path)).toEqual([
      ["train", "stages", 0, "epochs"],
      ["train", "stages", 1, "lr"],
    ]);
  });

  it("creates missing mappings but not list elements", () => {
    const config: Record<string, unknown> = base();
    expect(applySets(config, ["early_stopping.patience=4"]).problems).toEqual([]);
    expect(config.early_stopping).toEqual({ patience: 4 });
    const { problems } = applySets(config, ["train.stages[2].epochs=1", "train.stages[polish].epochs=1"]);
    expect(problems.map((p) => p.message)).toEqual([
      "no such element: train.stages has 2 (0/head, 1/fine-tune)",
      "no such element: train.stages has 2 (0/head, 1/fine-tune)",
    ]);
  });

  it("names the flag in bad syntax", () => {
    const { problems } = applySets(base(), ["epochs", "=3", "train..x=1"]);
    expect(problems.map((p) => p.file)).toEqual(["--set epochs", "--set =3", "--set train..x=1"]);
    expect(problems[0]!.message).toMatch(/expected path=value/);
  });
});

describe("extends merge", () => {
  it("merges mappings by key and replaces lists and other variants", () => {
    const merged = mergeConfig(
      { data: { source: "folder", path: "x", split: { valid: 0.2 } }, train: { stages: [1, 2], batch_size: 8 } },
      { data: { source: "folder", split: { stratify: false } }, train: { stages: [3] } },
    );
    expect(merged).toEqual({
      data: { source: "folder", path: "x", split: { valid: 0.2, stratify: false } },
      train: { stages: [3], batch_size: 8 },
    });
    const switched = mergeConfig({ data: { source: "folder", path: "x" } }, { data: { source: "synthetic" } });
    expect(switched).toEqual({ data: { source: "synthetic" } });
  });
});

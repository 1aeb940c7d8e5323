import { parse } from "yaml";
import { afterEach, describe, expect, it } from "vitest";
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

describe("--set cannot reach a prototype", () => {
  afterEach(() => {
    // If a case ever regresses, don't let the pollution leak into the next test.
    for (const proto of [Object.prototype, Array.prototype]) delete (proto as Record<string, unknown>).polluted;
  });

  it.each([
    "__proto__.polluted=1",
    "constructor.prototype.polluted=1",
    'train["__proto__"].polluted=1',
    "train.stages[0].__proto__.polluted=1",
    "train.stages[0].constructor.prototype.polluted=1",
    "model.prototype=1",
  ])("refuses %s, naming the flag", (flag) => {
    const config: Record<string, unknown> = base();
    const { problems, applied } = applySets(config, [flag]);
    expect(applied).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.file).toBe(`--set ${flag}`);
    expect(problems[0]!.message).toMatch(/"(__proto__|constructor|prototype)" is not allowed as a key/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined();
    expect(config).toEqual(base());
  });

  it("does not walk into inherited members, and its new mappings have no prototype", () => {
    const config: Record<string, unknown> = base();
    expect(applySets(config, ["toString.x=1", "early_stopping.patience=2"]).problems).toEqual([]);
    expect(Object.hasOwn(config, "toString")).toBe(true);
    expect(Object.getPrototypeOf(config.early_stopping)).toBeNull();
  });

  it("keeps a YAML value's __proto__ key a plain key", () => {
    const config: Record<string, unknown> = base();
    expect(applySets(config, ["model={__proto__: {polluted: 1}}"]).problems).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(config.model)).toBe(Object.prototype);
  });
});

describe("extends merge", () => {
  it("keeps a __proto__ key in a layer an own key instead of replacing a prototype", () => {
    const over = parse("train:\n  __proto__:\n    polluted: 1\n__proto__:\n  polluted: 2\n") as Record<string, unknown>;
    const merged = mergeConfig({ train: { batch_size: 8 } }, over);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(merged.train)).toBe(Object.prototype);
    expect(Object.keys(merged)).toEqual(["train", "__proto__"]);
    expect((merged as Record<string, unknown>).polluted).toBeUndefined();
    expect((merged.train as Record<string, unknown>).polluted).toBeUndefined();
  });

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

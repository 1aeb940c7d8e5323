import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../errors";
import { diffLoaded } from "./diff";
import { renderDiffMarkdown, renderDiffText } from "./render-diff";
import { loadRunSide } from "./run-side";
import { sampleConfig, writeFakeRun } from "./test-runs";

const runsDir = mkdtempSync(join(tmpdir(), "tessera-diff-"));

describe("diff of two runs", async () => {
  const a = await loadRunSide(
    await writeFakeRun({
      runsDir,
      id: "run-a",
      accuracy: [
        [0.5, 0.7],
        [0.8, 0.9],
      ],
    }),
  );
  const lowerLr = sampleConfig((c) => {
    c.train.stages[1]!.lr = { kind: "fixed", min: 1e-7, max: 1e-4 };
  });
  const confusion = [
    [10, 0, 0, 0],
    [0, 10, 0, 0],
    [0, 0, 9, 1],
    [3, 0, 0, 7],
  ];
  const bDir = await writeFakeRun({
    runsDir,
    id: "run-b",
    config: lowerLr,
    accuracy: [
      [0.5, 0.7],
      [0.8, 0.88],
    ],
    confusion,
  });
  const b = await loadRunSide(bDir);

  it("names exactly the stage path whose LR range changed", () => {
    const result = diffLoaded(a, b);
    expect(result.config.map((c) => c.path)).toEqual(["train.stages[fine-tune].lr.min"]);
    expect(renderDiffText(result)).toContain("train.stages[fine-tune].lr.min: 1e-6 → 1e-7");
  });

  it("gives metric deltas b - a, per-class F1 changes and changed confusion pairs", () => {
    const m = diffLoaded(a, b).metrics!;
    const best = m.metrics.find((x) => x.name === "valid.accuracy")!;
    expect(best.a).toBe(0.9);
    expect(best.b).toBe(0.88);
    expect(best.delta).toBeCloseTo(-0.02, 10);
    expect(m.f1.map((f) => f.class).sort()).toEqual(["A", "B", "C", "D"]);
    expect(m.confusion[0]).toEqual({ actual: "D", predicted: "A", a: 1, b: 3, delta: 2 });
  });

  it("trips --fail-if on a regression and passes a looser bound", () => {
    expect(diffLoaded(a, b, { failIf: "valid.accuracy < -1%" }).fail_if?.tripped).toBe(true);
    expect(diffLoaded(a, b, { failIf: "valid.accuracy < -5%" }).fail_if?.tripped).toBe(false);
  });

  it("refuses a --fail-if class neither run has (a typo used to count as tripped)", () => {
    expect(() => diffLoaded(a, b, { failIf: "class.Z.f1 < 0" })).toThrow(
      /class\.Z\.f1: neither run has a class "Z"; did you mean "[A-D]"\? Classes: /,
    );
    expect(() => diffLoaded(a, b, { failIf: "class.Z.f1 < 0" })).toThrow(UsageError);
    expect(diffLoaded(a, b, { failIf: "class.A.f1 < -100%" }).fail_if?.tripped).toBe(false);
  });

  it("refuses --fail-if on a config side as a usage error", () => {
    const asConfig = {
      kind: "config" as const,
      ref: "x.yaml",
      label: "x.yaml",
      file: "x.yaml",
      config: a.config,
      configHash: "h",
    };
    expect(() => diffLoaded(asConfig, b, { failIf: "valid.accuracy < 0" })).toThrow(UsageError);
  });

  it("has no warnings for a like-for-like comparison", () => {
    expect(diffLoaded(a, b).warnings).toEqual([]);
  });

  it("warns when the runs used different splits and code", async () => {
    const c = await loadRunSide(await writeFakeRun({ runsDir, id: "run-c", splitHash: "split-2", gitCommit: "beef" }));
    const result = diffLoaded(a, c);
    expect(result.warnings.join("\n")).toMatch(/different data splits \(split hash split-1 vs split-2\)/);
    expect(result.warnings.join("\n")).toMatch(/different code versions/);
    expect(renderDiffMarkdown(result)).toContain("> [!WARNING]\n> the runs used different data splits");
  });

  it("reads an unfinished run from its last epoch and says so", async () => {
    const d = await loadRunSide(await writeFakeRun({ runsDir, id: "run-d", accuracy: [[0.4], []], unfinished: true }));
    const result = diffLoaded(a, d);
    expect(result.metrics!.metrics.find((x) => x.name === "valid.accuracy.final")!.b).toBe(0.4);
    expect(result.warnings.join("\n")).toMatch(/run b \(run-d\) is interrupted/);
  });
});

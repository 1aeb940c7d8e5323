/** The Sweep page's parallel-coordinates axes (dashboard/src/lib/pcp.ts), on hand-made trial rows. */
import { describe, expect, it } from "vitest";
import type { TrialRow } from "@tessera/shared";
import { pcpAxes } from "../../dashboard/src/lib/pcp";

const row = (trial: number, params: TrialRow["params"], objective: number | null): TrialRow => ({
  trial,
  run_id: `s-t${trial}`,
  params,
  config_hash: "h",
  status: objective === null ? "running" : "finished",
  rung: null,
  epochs: 1,
  target_epochs: null,
  objective,
  error: null,
  started: "2026-01-01T00:00:00Z",
  ended: null,
});

describe("parallel-coordinates axes", () => {
  const trials = [
    row(0, { lr: 1e-4, dropout: 0.5, opt: "adam" }, 0.8),
    row(1, { lr: 1e-2, dropout: 0.2, opt: "sgd" }, 0.9),
    row(2, { lr: 3e-3, dropout: 0.2, opt: "adam" }, null),
  ];

  it("one line per scored trial, one axis per parameter and one for the objective", () => {
    const { labels, axes } = pcpAxes(trials, ["lr", "dropout", "opt"], "valid.accuracy");
    expect(labels).toEqual(["trial 0", "trial 1"]);
    expect(axes.map((a) => a.label)).toEqual(["lr", "dropout", "opt", "valid.accuracy"]);
    expect(axes.map((a) => a.data)).toEqual([
      [1e-4, 1e-2],
      [0.5, 0.2],
      [0, 1],
      [0.8, 0.9],
    ]);
  });

  it("a learning rate spanning decades is a log axis; a narrow range or a category is not", () => {
    const { axes } = pcpAxes(trials, ["lr", "dropout", "opt"], "valid.accuracy");
    expect(axes.map((a) => a.log)).toEqual([true, false, false, false]);
    expect(axes[2]!.categories).toEqual(['"adam"', '"sgd"']);
    expect(axes[0]!.categories).toBeNull();
  });
});

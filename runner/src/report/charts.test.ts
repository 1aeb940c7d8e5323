import { describe, expect, it } from "vitest";
import type { EventOf } from "@tessera/shared";
import { reportCharts } from "./charts";
import { runMetrics } from "./run-metrics";

const sweep = (stage: string, seq: number, fold?: number): EventOf<"lr_find"> => ({
  format: 1,
  seq,
  time: "t",
  attempt: 1,
  type: "lr_find",
  stage,
  points: [
    { lr: 1e-5, loss: 2, smoothed: 2 },
    { lr: 1e-3, loss: 1, smoothed: 1.2 },
    { lr: 1e-1, loss: 3, smoothed: 2.5 },
  ],
  suggestions: { valley: 1e-3, steep: 1e-4, minimum: 1e-3, slide: 1e-3 },
  chosen: { rule: "valley", lr: 1e-3 },
  ...(fold === undefined ? {} : { fold }),
});

describe("LR-finder chart files", () => {
  it("name each fold's sweep by its fold, and number only repeats within a stage and fold", () => {
    const events = [sweep("head", 0, 0), sweep("head", 1, 1), sweep("head", 2, 2), sweep("top", 3), sweep("top", 4)];
    const files = reportCharts(runMetrics(events, null), null)
      .map((c) => c.file)
      .filter((f) => f.startsWith("lr-find"));
    expect(files).toEqual([
      "lr-find-head-fold0.svg",
      "lr-find-head-fold1.svg",
      "lr-find-head-fold2.svg",
      "lr-find-top.svg",
      "lr-find-top-2.svg",
    ]);
  });
});

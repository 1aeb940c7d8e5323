"use client";
/** The Run page's live line charts: loss, accuracy and LR per layer group, stage boundaries marked. */
import type { Chart } from "chart.js";
import { ChartCanvas } from "./ChartCanvas";
import { lineConfig } from "../lib/lineConfig";
import { palette } from "../lib/chartSetup";
import type { RunState } from "../lib/runState";

function markStages(chart: Chart, state: RunState): void {
  (chart.options.plugins as Record<string, unknown>).stageLines = {
    lines: state.stages.filter((s) => s.x > 0).map((s) => ({ x: s.x + 0.5, label: s.label })),
  };
}

export function LossChart({ state, version }: { state: RunState; version: number }) {
  return (
    <ChartCanvas
      testId="loss-chart"
      version={version}
      points={state.batchLoss.length}
      onUpdate={(c) => markStages(c, state)}
      config={() =>
        lineConfig(
          [
            { label: "batch loss", data: state.batchLoss, color: "rgba(128,128,128,0.6)", width: 1 },
            { label: "train loss (epoch)", data: state.trainLoss, color: palette[0]!, points: true },
            { label: "valid loss", data: state.validLoss, color: palette[1]!, points: true, dashed: true },
          ],
          { xTitle: "step", yTitle: "loss" },
        )
      }
    />
  );
}

export function AccuracyChart({ state, version }: { state: RunState; version: number }) {
  return (
    <ChartCanvas
      testId="accuracy-chart"
      version={version}
      points={state.accuracy.length}
      onUpdate={(c) => markStages(c, state)}
      config={() =>
        lineConfig([{ label: "valid accuracy", data: state.accuracy, color: palette[2]!, points: true, width: 2 }], {
          xTitle: "step",
          percent: true,
          yMax: 1,
        })
      }
    />
  );
}

export function LrChart({ state, version }: { state: RunState; version: number }) {
  return (
    <ChartCanvas
      testId="lr-chart"
      version={version}
      points={Object.values(state.lr).reduce((a, s) => a + s.length, 0)}
      onUpdate={(chart) => {
        markStages(chart, state);
        // groups appear with the first stage_started; add their series once, then they grow in place
        for (const [i, g] of state.groups.entries()) {
          if (chart.data.datasets.some((d) => d.label === g)) continue;
          const color = palette[i % palette.length]!;
          chart.data.datasets.push({
            label: g,
            data: (state.lr[g] ??= []),
            borderColor: color,
            backgroundColor: color,
            borderWidth: 1.5,
            pointRadius: 0,
          } as never);
        }
      }}
      config={() => lineConfig([], { xTitle: "step", yTitle: "learning rate", logY: true })}
    />
  );
}

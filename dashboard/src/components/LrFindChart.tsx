"use client";
/**
 * One LR-finder sweep: loss against learning rate on a log axis, the smoothed curve, the four
 * suggestions (valley, steep, minimum, slide) marked, and the one the stage used highlighted.
 */
import type { EventOf } from "@tessera/shared";
import { ChartCanvas } from "./ChartCanvas";
import { lineConfig } from "../lib/lineConfig";
import { cssVar, palette } from "../lib/chartSetup";

type LrFind = EventOf<"lr_find">;

/** The smoothed loss at the sweep point nearest to `lr` (on the log scale). */
function lossAt(find: LrFind, lr: number): number {
  let best = find.points[0];
  for (const p of find.points) {
    if (best && Math.abs(Math.log(p.lr / lr)) < Math.abs(Math.log(best.lr / lr))) best = p;
  }
  return best?.smoothed ?? 0;
}

export function LrFindChart({ find }: { find: LrFind }) {
  const rules = Object.entries(find.suggestions) as [string, number][];
  const config = () => {
    const raw = find.points.map((p) => ({ x: p.lr, y: p.loss }));
    const smooth = find.points.map((p) => ({ x: p.lr, y: p.smoothed }));
    const base = lineConfig(
      [
        { label: "loss", data: raw, color: "rgba(128,128,128,0.45)", width: 1 },
        { label: "smoothed", data: smooth, color: palette[0]!, width: 2 },
      ],
      { logX: true, xTitle: "learning rate", yTitle: "loss" },
    );
    const markers = rules.map(([rule, lr], i) => ({
      type: "scatter" as const,
      label: `${rule} ${lr.toExponential(1)}${rule === find.chosen.rule ? " (chosen)" : ""}`,
      data: [{ x: lr, y: lossAt(find, lr) }],
      backgroundColor: palette[(i + 1) % palette.length],
      borderColor: rule === find.chosen.rule ? cssVar("--text") : palette[(i + 1) % palette.length],
      borderWidth: rule === find.chosen.rule ? 3 : 1,
      pointRadius: rule === find.chosen.rule ? 9 : 5,
      pointStyle: rule === find.chosen.rule ? "rectRot" : "circle",
    }));
    base.data.datasets.push(...(markers as never[]));
    (base.options!.plugins as Record<string, unknown>).stageLines = {
      lines: [{ x: find.chosen.lr, label: `used: ${find.chosen.rule}` }],
    };
    const smoothed = find.points.map((p) => p.smoothed).filter(Number.isFinite);
    const lo = Math.min(...smoothed);
    const start = smoothed[0] ?? lo;
    // clip the blow-up at the end of the sweep so the valley stays readable
    base.options!.scales!.y!.max = start + (start - lo) * 1.5 || undefined;
    return base;
  };
  return (
    <div data-testid={`lr-find-${find.stage}`} data-suggestions={rules.length} data-chosen={find.chosen.rule}>
      <ChartCanvas config={config} version={0} points={find.points.length} testId="lr-find-canvas" />
      <p className="muted" style={{ margin: "6px 0 0" }}>
        {rules.map(([rule, lr]) => (
          <span key={rule} style={{ marginRight: 14, fontWeight: rule === find.chosen.rule ? 700 : 400 }}>
            {rule} {lr.toExponential(1)}
            {rule === find.chosen.rule ? " ← used" : ""}
          </span>
        ))}
      </p>
      {find.warning ? (
        <p className="error" style={{ margin: "6px 0 0" }} data-testid="lr-find-warning">
          {find.warning}
        </p>
      ) : null}
    </div>
  );
}

"use client";
/**
 * chart.js registration, once: the pieces the dashboard draws with (line, scatter, matrix,
 * parallel coordinates, log axes, decimation for long series) and a small plugin that marks stage
 * boundaries.
 */
import {
  CategoryScale,
  Chart,
  Decimation,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
  type Plugin,
} from "chart.js";
import { MatrixController, MatrixElement } from "chartjs-chart-matrix";
import {
  LinearAxis,
  LineSegment,
  LogarithmicAxis,
  LogarithmicParallelCoordinatesController,
  ParallelCoordinatesController,
  PCPScale,
} from "chartjs-chart-pcp";

/** Vertical lines at `options.plugins.stageLines.lines` (x value + label). chartjs-plugin-annotation is not a dependency, and this is 20 lines. */
const stageLines: Plugin = {
  id: "stageLines",
  afterDatasetsDraw(chart, _args, options: { lines?: { x: number; label: string }[] }) {
    const x = chart.scales.x;
    if (!x || !options.lines?.length) return;
    const { ctx, chartArea } = chart;
    ctx.save();
    ctx.strokeStyle = cssVar("--muted");
    ctx.fillStyle = cssVar("--muted");
    ctx.setLineDash([4, 4]);
    ctx.font = "11px system-ui, sans-serif";
    for (const line of options.lines) {
      const px = x.getPixelForValue(line.x);
      if (px < chartArea.left || px > chartArea.right) continue;
      ctx.beginPath();
      ctx.moveTo(px, chartArea.top);
      ctx.lineTo(px, chartArea.bottom);
      ctx.stroke();
      ctx.fillText(line.label, px + 4, chartArea.top + 10);
    }
    ctx.restore();
  },
};

let registered = false;

/** Registers everything once per page; safe to call from every chart component. */
export function setupCharts(): void {
  if (registered) return;
  registered = true;
  Chart.register(
    LineController,
    ScatterController,
    MatrixController,
    LineElement,
    PointElement,
    MatrixElement,
    LinearScale,
    LogarithmicScale,
    CategoryScale,
    Decimation,
    Filler,
    Legend,
    Tooltip,
    stageLines,
    ParallelCoordinatesController,
    LogarithmicParallelCoordinatesController,
    PCPScale,
    LineSegment,
  );
  // The pcp axes are elements drawn by the controller, not scales the chart owns (the plugin's README).
  Chart.registry.addElements(LinearAxis, LogarithmicAxis);
  Chart.defaults.color = cssVar("--muted");
  Chart.defaults.borderColor = cssVar("--grid");
  Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
  Chart.defaults.animation = false;
}

/** A CSS custom property's current value (theme colours live in globals.css). */
export function cssVar(name: string): string {
  if (typeof window === "undefined") return "#888";
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

/** A stable palette for series (groups, runs). */
export const palette = ["#2f6feb", "#e5534b", "#3fb950", "#d29922", "#a371f7", "#db61a2", "#39c5cf", "#8d96a0"];

export { Chart };

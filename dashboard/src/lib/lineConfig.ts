"use client";
/** chart.js line-chart configuration shared by the loss, accuracy and LR charts. */
import type { ChartConfiguration, ChartDataset } from "chart.js";
import type { Pt } from "./runState";

export interface SeriesSpec {
  label: string;
  data: Pt[];
  color: string;
  dashed?: boolean;
  /** Draw point markers (sparse series such as per-epoch values). */
  points?: boolean;
  width?: number;
}

export interface LineOptions {
  xTitle?: string;
  yTitle?: string;
  logY?: boolean;
  logX?: boolean;
  yMin?: number;
  yMax?: number;
  percent?: boolean;
  /** Whole-number x ticks (epochs). */
  integerX?: boolean;
}

const expTick = (v: number | string) => Number(v).toExponential(0);

/** A line chart over `{x, y}` arrays with min-max decimation, so 100k points draw quickly. */
export function lineConfig(series: SeriesSpec[], o: LineOptions = {}): ChartConfiguration {
  const datasets: ChartDataset<"line", Pt[]>[] = series.map((s) => ({
    label: s.label,
    data: s.data,
    borderColor: s.color,
    backgroundColor: s.color,
    borderWidth: s.width ?? 1.5,
    borderDash: s.dashed ? [5, 4] : undefined,
    pointRadius: s.points ? 3 : 0,
    pointHoverRadius: 4,
    tension: 0,
    spanGaps: true,
  }));
  const config: ChartConfiguration<"line", Pt[]> = {
    type: "line",
    data: { datasets },
    options: {
      parsing: false,
      normalized: true,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: "nearest", intersect: false, axis: "x" },
      scales: {
        x: {
          type: o.logX ? "logarithmic" : "linear",
          title: { display: !!o.xTitle, text: o.xTitle ?? "" },
          ticks: o.logX
            ? { callback: expTick, maxTicksLimit: 8 }
            : { maxTicksLimit: 10, ...(o.integerX ? { stepSize: 1 } : {}) },
        },
        y: {
          type: o.logY ? "logarithmic" : "linear",
          min: o.yMin,
          max: o.yMax,
          title: { display: !!o.yTitle, text: o.yTitle ?? "" },
          ticks: o.percent
            ? { callback: (v) => `${Math.round(Number(v) * 100)}%` }
            : o.logY
              ? { callback: expTick, maxTicksLimit: 6 }
              : { maxTicksLimit: 8 },
        },
      },
      plugins: {
        decimation: { enabled: true, algorithm: "min-max" },
        legend: { labels: { boxWidth: 12, boxHeight: 2 } },
        tooltip: { enabled: true },
      },
    },
  };
  return config as unknown as ChartConfiguration;
}

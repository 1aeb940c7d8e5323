"use client";
/**
 * A confusion matrix as a heatmap (chartjs-chart-matrix): rows = true class, columns =
 * predicted. `counts`, row-`normalised`, or `diff` (a signed matrix, e.g. b - a, drawn
 * red/green). Updated in place when a new epoch brings a new matrix.
 */
import { useRef } from "react";
import type { Chart, ChartConfiguration, Plugin, ScriptableContext, TooltipItem } from "chart.js";
import { ChartCanvas } from "./ChartCanvas";
import { cssVar } from "../lib/chartSetup";

export type MatrixMode = "counts" | "normalised" | "diff";

interface Cell {
  x: string;
  y: string;
  v: number;
}

/** Row-normalises a count matrix (each true class sums to 1). */
export function normalise(m: number[][]): number[][] {
  return m.map((row) => {
    const sum = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (sum ? v / sum : 0));
  });
}

function cellsOf(m: number[][], classes: string[]): Cell[] {
  return m.flatMap((row, i) => row.map((v, j) => ({ x: classes[j] ?? String(j), y: classes[i] ?? String(i), v })));
}

/** Writes each cell's value when cells are big enough to read. */
const cellText: Plugin = {
  id: "cellText",
  afterDatasetsDraw(chart) {
    const meta = chart.getDatasetMeta(0);
    const data = chart.data.datasets[0]?.data as unknown as Cell[] | undefined;
    if (!data || !meta.data.length) return;
    const first = meta.data[0] as unknown as { width: number; height: number };
    if (first.width < 18 || first.height < 12) return;
    const mode = (chart.options.plugins as { cellText?: { mode?: MatrixMode } }).cellText?.mode;
    const { ctx } = chart;
    ctx.save();
    ctx.font = "10px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillStyle = cssVar("--text");
    meta.data.forEach((el, i) => {
      const v = data[i]?.v ?? 0;
      if (v === 0) return;
      const { x, y, width, height } = el as unknown as { x: number; y: number; width: number; height: number };
      ctx.fillText(mode === "counts" ? String(v) : v.toFixed(2), x + width / 2, y + height / 2);
    });
    ctx.restore();
  },
};

export interface MatrixChartProps {
  matrix: number[][];
  classes: string[];
  mode: MatrixMode;
  version: number;
  testId?: string;
}

export function MatrixChart({ matrix, classes, mode, version, testId }: MatrixChartProps) {
  const cells = useRef<Cell[]>([]);
  const shown = mode === "normalised" ? normalise(matrix) : matrix;
  const fill = (chart?: Chart) => {
    cells.current.length = 0;
    cells.current.push(...cellsOf(shown, classes));
    if (!chart) return;
    const scales = chart.options.scales as Record<string, { labels?: string[] }>;
    scales.x!.labels = classes;
    scales.y!.labels = [...classes].reverse();
    (chart.options.plugins as Record<string, unknown>).cellText = { mode };
  };
  const config = (): ChartConfiguration => {
    fill();
    const n = Math.max(1, classes.length);
    return {
      type: "matrix",
      data: {
        datasets: [
          {
            label: "confusion",
            data: cells.current,
            backgroundColor: (ctx: ScriptableContext<"matrix">) => {
              const cell = ctx.raw as Cell | undefined;
              const all = (ctx.chart.data.datasets[0]?.data ?? []) as unknown as Cell[];
              const max = Math.max(1e-9, ...all.map((c) => Math.abs(c.v)));
              const a = Math.abs(cell?.v ?? 0) / max;
              const diff =
                (ctx.chart.options.plugins as { cellText?: { mode?: MatrixMode } }).cellText?.mode === "diff";
              // green where b is better: more on the diagonal, less off it
              const better = cell && (cell.x === cell.y ? cell.v > 0 : cell.v < 0);
              if (diff) return better ? `rgba(63,185,80,${a})` : `rgba(229,83,75,${a})`;
              return `rgba(47,111,235,${0.05 + 0.95 * a})`;
            },
            borderWidth: 0,
            width: ({ chart }) => (chart.chartArea?.width ?? 0) / n - 1,
            height: ({ chart }) => (chart.chartArea?.height ?? 0) / n - 1,
          },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: () => "",
              label: (ctx: TooltipItem<"matrix">) => {
                const c = ctx.raw as Cell;
                return `true ${c.y} → predicted ${c.x}: ${mode === "counts" ? c.v : c.v.toFixed(3)}`;
              },
            },
          },
          cellText: { mode },
        } as never,
        scales: {
          x: {
            type: "category",
            labels: classes,
            offset: true,
            grid: { display: false },
            title: { display: true, text: "predicted" },
          },
          y: {
            type: "category",
            // the matrix plugin draws the first category at the bottom; reading order wants it on top
            labels: [...classes].reverse(),
            offset: true,
            grid: { display: false },
            title: { display: true, text: "true" },
          },
        },
      },
      plugins: [cellText],
    };
  };
  return (
    <div data-testid={testId} data-classes={classes.length} data-mode={mode}>
      <ChartCanvas
        config={config}
        version={version * 3 + ["counts", "normalised", "diff"].indexOf(mode)}
        onUpdate={fill}
        tall
        points={classes.length * classes.length}
      />
    </div>
  );
}

"use client";
/**
 * One chart.js canvas. The chart is created once from `config()`; later renders only call
 * `chart.update("none")` after the caller mutated the arrays the datasets point at, so live
 * events never re-create a chart. `points` is mirrored on the canvas as `data-points` (tests read it).
 */
import { useEffect, useRef } from "react";
import type { ChartConfiguration } from "chart.js";
import { Chart, setupCharts } from "../lib/chartSetup";

export interface ChartCanvasProps {
  config: () => ChartConfiguration;
  /** Bump to redraw in place. */
  version: number;
  /** Called before each in-place update (e.g. to set axis labels or stage lines). */
  onUpdate?: (chart: Chart) => void;
  points?: number;
  testId?: string;
  tall?: boolean;
}

export function ChartCanvas({ config, version, onUpdate, points, testId, tall }: ChartCanvasProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const chartRef = useRef<Chart | null>(null);
  const configRef = useRef(config);
  const onUpdateRef = useRef(onUpdate);
  onUpdateRef.current = onUpdate;

  useEffect(() => {
    setupCharts();
    const chart = new Chart(canvasRef.current!, configRef.current());
    chartRef.current = chart;
    return () => {
      chart.destroy();
      chartRef.current = null;
    };
  }, []);

  useEffect(() => {
    const chart = chartRef.current;
    if (!chart) return;
    onUpdateRef.current?.(chart);
    chart.update("none");
  }, [version]);

  return (
    <div className={tall ? "chart tall" : "chart"}>
      <canvas ref={canvasRef} data-testid={testId} data-points={points ?? 0} data-version={version} />
    </div>
  );
}

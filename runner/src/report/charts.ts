/** Which charts a report has, made from a run's metrics (and a baseline's, with `--vs`). */
import type { EpochPoint, RunMetrics } from "./run-metrics";
import { confusionHeatmap } from "./svg-heatmap";
import { lineChart, type Series } from "./svg-line";

/** One chart file of a report. */
export interface Chart {
  /** File name inside the report folder, e.g. `accuracy.svg`. */
  file: string;
  title: string;
  svg: string;
}

const COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"];

/** Epochs numbered 1..N across stages (per fold for k-fold runs), and where each stage starts. */
function byFold(epochs: EpochPoint[]) {
  const folds = new Map<number | null, EpochPoint[]>();
  for (const p of epochs) folds.set(p.fold, [...(folds.get(p.fold) ?? []), p]);
  return [...folds.entries()];
}

function stageMarkers(epochs: EpochPoint[]): { x: number; label: string }[] {
  const first = byFold(epochs)[0]?.[1] ?? [];
  const markers: { x: number; label: string }[] = [];
  first.forEach((p, i) => {
    if (i === 0 || first[i - 1]!.stage !== p.stage) markers.push({ x: i + 0.5, label: p.stage });
  });
  return markers;
}

function curve(epochs: EpochPoint[], pick: (p: EpochPoint) => number): [number, number][] {
  return epochs.map((p, i) => [i + 1, pick(p)]);
}

/** A file-name-safe form of a stage name. */
export const slug = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, "_");

/** The report's charts: accuracy and loss curves, one LR-finder curve per sweep, the confusion heatmap. */
export function reportCharts(
  run: RunMetrics,
  baseline: RunMetrics | null,
  names = { run: "this run", baseline: "baseline" },
): Chart[] {
  const charts: Chart[] = [];
  if (run.epochs.length) {
    const acc: Series[] = byFold(run.epochs).map(([fold, points], i) => ({
      name: fold === null ? `${names.run} valid accuracy` : `fold ${fold} valid accuracy`,
      points: curve(points, (p) => p.valid_accuracy),
      color: COLOURS[i % COLOURS.length]!,
    }));
    if (baseline?.epochs.length) {
      acc.push({
        name: `${names.baseline} valid accuracy`,
        points: curve(byFold(baseline.epochs)[0]![1], (p) => p.valid_accuracy),
        color: "#7f7f7f",
        dashed: true,
      });
    }
    charts.push({
      file: "accuracy.svg",
      title: "Validation accuracy",
      svg: lineChart({
        title: "Validation accuracy",
        xLabel: "epoch",
        yLabel: "accuracy",
        series: acc,
        yRange: [0, 1],
        legend: "bottom",
        markers: stageMarkers(run.epochs),
      }),
    });
    const [, main] = byFold(run.epochs)[0]!;
    const loss: Series[] = [
      { name: "train loss", points: curve(main, (p) => p.train_loss), color: COLOURS[0]! },
      { name: "valid loss", points: curve(main, (p) => p.valid_loss), color: COLOURS[1]! },
    ];
    if (baseline?.epochs.length) {
      loss.push({
        name: `${names.baseline} valid loss`,
        points: curve(byFold(baseline.epochs)[0]![1], (p) => p.valid_loss),
        color: "#7f7f7f",
        dashed: true,
      });
    }
    charts.push({
      file: "loss.svg",
      title: "Loss",
      svg: lineChart({
        title: "Loss",
        xLabel: "epoch",
        yLabel: "loss",
        series: loss,
        yRange: [0, 1.05 * Math.max(1e-9, ...loss.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite))],
        markers: stageMarkers(run.epochs),
      }),
    });
  }
  const seen = new Map<string, number>();
  for (const f of run.lrFinds) {
    // A stage may sweep more than once (a resumed run); each fold of a k-fold run sweeps once.
    const key = `${f.stage}/${f.fold ?? ""}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    const suffix = `${f.fold === undefined ? "" : `-fold${f.fold}`}${n > 1 ? `-${n}` : ""}`;
    const title = `LR finder, stage ${f.stage}${f.fold === undefined ? "" : ` fold ${f.fold}`}`;
    charts.push({
      file: `lr-find-${slug(f.stage)}${suffix}.svg`,
      title,
      svg: lineChart({
        title,
        xLabel: "learning rate (log scale)",
        yLabel: "loss",
        xLog: true,
        series: [
          { name: "loss", points: f.points.map((p) => [p.lr, p.loss]), color: "#c7c7c7" },
          { name: "smoothed", points: f.points.map((p) => [p.lr, p.smoothed]), color: COLOURS[0]! },
        ],
        // Every suggestion rule, the chosen one first and named so.
        markers: [
          { x: f.chosen.lr, label: `chosen: ${f.chosen.rule} ${f.chosen.lr.toExponential(1)}`, strong: true },
          ...Object.entries(f.suggestions)
            .filter(([rule]) => rule !== f.chosen.rule)
            .map(([rule, lr]) => ({ x: lr, label: `${rule} ${lr.toExponential(1)}` })),
        ],
        staggerMarkers: true,
      }),
    });
  }
  if (run.confusion.length && run.classes.length) {
    charts.push({
      file: "confusion.svg",
      title: "Confusion matrix",
      svg: confusionHeatmap(
        `Confusion matrix, ${run.confusionOf === "all folds" ? "all folds' final epochs" : "final epoch"} (rows: true, columns: predicted)`,
        run.classes,
        run.confusion,
      ),
    });
  }
  return charts;
}

/**
 * Metric deltas between a baseline run (a) and a candidate run (b), always `b - a`, and the checks
 * that say whether the comparison is fair: same data split, same data, same code, same classes.
 */
import type { RunMeta } from "@tessera/shared";
import type { RunMetrics } from "./run-metrics";

/** A named metric of a run; the names are those `--fail-if` accepts. */
export interface MetricDef {
  name: string;
  label: string;
  higherIsBetter: boolean;
  /** Shown in percent, and `%` in `--fail-if` means percentage points of it. */
  fraction: boolean;
  get(m: RunMetrics): number | null;
}

/** The run-level metrics, in table order. */
export const METRICS: readonly MetricDef[] = [
  {
    name: "valid.accuracy",
    label: "best valid accuracy",
    higherIsBetter: true,
    fraction: true,
    get: (m) => m.best?.value ?? null,
  },
  {
    name: "valid.accuracy.final",
    label: "final valid accuracy",
    higherIsBetter: true,
    fraction: true,
    get: (m) => m.final?.valid_accuracy ?? null,
  },
  { name: "valid.loss", label: "best valid loss", higherIsBetter: false, fraction: false, get: (m) => m.bestLoss },
  {
    name: "valid.loss.final",
    label: "final valid loss",
    higherIsBetter: false,
    fraction: false,
    get: (m) => m.final?.valid_loss ?? null,
  },
  {
    name: "train.loss.final",
    label: "final train loss",
    higherIsBetter: false,
    fraction: false,
    get: (m) => m.final?.train_loss ?? null,
  },
  { name: "tta.accuracy", label: "TTA accuracy", higherIsBetter: true, fraction: true, get: (m) => m.tta },
];

const CLASS_METRIC = /^class\.(.+)\.(f1|precision|recall)$/;

/** The class a `class.<name>.<field>` metric names; null for the run-level metrics. */
export function classOfMetric(name: string): string | null {
  return CLASS_METRIC.exec(name)?.[1] ?? null;
}

/** Looks a metric up by name, including per-class `class.<name>.f1|precision|recall`; null if unknown. */
export function findMetric(name: string): MetricDef | null {
  const known = METRICS.find((m) => m.name === name);
  if (known) return known;
  const match = CLASS_METRIC.exec(name);
  if (!match) return null;
  const [, cls, field] = match as unknown as [string, string, "f1" | "precision" | "recall"];
  return {
    name,
    label: `${field} of class ${cls}`,
    higherIsBetter: true,
    fraction: true,
    get: (m) => m.perClass.find((p) => p.class === cls)?.[field] ?? null,
  };
}

export interface MetricDelta {
  name: string;
  label: string;
  a: number | null;
  b: number | null;
  /** `b - a`; null when either side lacks the metric. */
  delta: number | null;
  higherIsBetter: boolean;
  fraction: boolean;
}

export interface ClassChange {
  class: string;
  a: number;
  b: number;
  delta: number;
}

export interface ConfusionChange {
  actual: string;
  predicted: string;
  a: number;
  b: number;
  delta: number;
}

/** Everything `diff` reports about two runs' results. */
export interface MetricComparison {
  metrics: MetricDelta[];
  /** Per-class F1 changes with |delta| >= `f1Threshold`, largest first. */
  f1: ClassChange[];
  f1Threshold: number;
  /** Off-diagonal confusion cells whose count changed, largest change first. */
  confusion: ConfusionChange[];
}

/** Default threshold of per-class F1 changes worth showing: one point. */
export const DEFAULT_F1_THRESHOLD = 0.01;

/** Compares two runs' metrics (`b - a`). */
export function compareMetrics(a: RunMetrics, b: RunMetrics, f1Threshold = DEFAULT_F1_THRESHOLD): MetricComparison {
  const metrics = METRICS.map((m) => {
    const va = m.get(a);
    const vb = m.get(b);
    const delta = va === null || vb === null ? null : vb - va;
    return {
      name: m.name,
      label: m.label,
      a: va,
      b: vb,
      delta,
      higherIsBetter: m.higherIsBetter,
      fraction: m.fraction,
    };
  }).filter((m) => m.a !== null || m.b !== null);

  const f1: ClassChange[] = [];
  for (const pa of a.perClass) {
    const pb = b.perClass.find((p) => p.class === pa.class);
    if (pb && Math.abs(pb.f1 - pa.f1) >= f1Threshold)
      f1.push({ class: pa.class, a: pa.f1, b: pb.f1, delta: pb.f1 - pa.f1 });
  }
  f1.sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta));

  const cell = (m: RunMetrics, actual: string, predicted: string) =>
    m.confusion[m.classes.indexOf(actual)]?.[m.classes.indexOf(predicted)] ?? 0;
  const confusion: ConfusionChange[] = [];
  const classes = [...new Set([...a.classes, ...b.classes])];
  for (const actual of classes) {
    for (const predicted of classes) {
      if (actual === predicted) continue;
      const ca = cell(a, actual, predicted);
      const cb = cell(b, actual, predicted);
      if (ca !== cb) confusion.push({ actual, predicted, a: ca, b: cb, delta: cb - ca });
    }
  }
  confusion.sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || y.b - x.b);
  return { metrics, f1, f1Threshold, confusion };
}

const short = (hash: string | null) => (hash === null ? "unknown" : hash.slice(0, 12));

/** Warnings when the two runs are not a like-for-like comparison. */
export function runWarnings(a: { meta: RunMeta; metrics: RunMetrics }, b: { meta: RunMeta; metrics: RunMetrics }) {
  const warnings: string[] = [];
  const { meta: ma } = a;
  const { meta: mb } = b;
  if (ma.split_hash === null || mb.split_hash === null) {
    warnings.push(
      `cannot tell whether the runs used the same data split: split hash ${short(ma.split_hash)} vs ${short(mb.split_hash)}`,
    );
  } else if (ma.split_hash !== mb.split_hash) {
    warnings.push(
      `the runs used different data splits (split hash ${short(ma.split_hash)} vs ${short(mb.split_hash)}): metric deltas mix the change with a different validation set`,
    );
  }
  // The data hash covers the split too: only worth its own warning when the splits agree.
  const splitDiffers = ma.split_hash !== null && mb.split_hash !== null && ma.split_hash !== mb.split_hash;
  if (!splitDiffers && ma.data_hash !== null && mb.data_hash !== null && ma.data_hash !== mb.data_hash) {
    warnings.push(`the runs used different data (data hash ${short(ma.data_hash)} vs ${short(mb.data_hash)})`);
  }
  if (ma.git_commit !== mb.git_commit) {
    warnings.push(
      `the runs used different code versions (git commit ${short(ma.git_commit)} vs ${short(mb.git_commit)})`,
    );
  }
  if (a.metrics.classes.join("\u0000") !== b.metrics.classes.join("\u0000")) {
    warnings.push(`the runs have different classes (${a.metrics.classes.join(",")} vs ${b.metrics.classes.join(",")})`);
  }
  for (const [side, meta] of [
    ["a", ma],
    ["b", mb],
  ] as const) {
    if (meta.status !== "finished")
      warnings.push(`run ${side} (${meta.id}) is ${meta.status}: its metrics are from its last finished epoch`);
  }
  return warnings;
}

/**
 * Classification metrics as pure functions on plain numbers: the confusion matrix (rows = true
 * class, cols = predicted), accuracy, per-class precision/recall/F1, fastai's `most_confused` and
 * top losses. The loop computes predictions and losses on tensors once and hands them here.
 */
import type { PerClass } from "./events";

/** Counts of (true, predicted) pairs: `m[t][p]`. */
export function confusionMatrix(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  numClasses: number,
): number[][] {
  if (truth.length !== predicted.length) {
    throw new Error(`confusionMatrix: ${truth.length} labels but ${predicted.length} predictions`);
  }
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < truth.length; i++) {
    const row = m[truth[i]!];
    if (!row || predicted[i]! < 0 || predicted[i]! >= numClasses) {
      throw new Error(`confusionMatrix: class index out of range at ${i}: ${truth[i]} -> ${predicted[i]}`);
    }
    row[predicted[i]!]! += 1;
  }
  return m;
}

/** Fraction on the diagonal; 0 for an empty matrix. */
export function accuracyOf(confusion: number[][]): number {
  let right = 0;
  let total = 0;
  confusion.forEach((row, t) =>
    row.forEach((n, p) => {
      total += n;
      if (t === p) right += n;
    }),
  );
  return total === 0 ? 0 : right / total;
}

/** Precision, recall and F1 of each class (0 where undefined, like sklearn's `zero_division=0`). */
export function perClassScores(confusion: number[][], classes: string[]): PerClass[] {
  return classes.map((name, c) => {
    const tp = confusion[c]?.[c] ?? 0;
    const support = (confusion[c] ?? []).reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, row) => a + (row[c] ?? 0), 0);
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { class: name, precision, recall, f1, support };
  });
}

/** Off-diagonal cells with at least `minCount`, largest first (fastai's `most_confused`). */
export function mostConfused(
  confusion: number[][],
  classes: string[],
  minCount = 1,
): { actual: string; predicted: string; count: number }[] {
  const out: { actual: string; predicted: string; count: number }[] = [];
  confusion.forEach((row, t) =>
    row.forEach((count, p) => {
      if (t !== p && count >= minCount) out.push({ actual: classes[t]!, predicted: classes[p]!, count });
    }),
  );
  // Stable sort keeps (true, predicted) order among equal counts.
  return out.sort((a, b) => b.count - a.count);
}

/** Indices of the `k` largest losses, largest first. */
export function topLossIndices(losses: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: losses.length }, (_, i) => i);
  idx.sort((a, b) => losses[b]! - losses[a]! || a - b);
  return idx.slice(0, k);
}

/** Mean and (population) standard deviation, for k-fold summaries. */
export function meanStd(values: number[]): { mean: number; std: number } {
  if (values.length === 0) return { mean: NaN, std: NaN };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}

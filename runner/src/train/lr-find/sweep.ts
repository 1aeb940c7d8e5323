/**
 * The LR finder's sweep mechanics (fastai v2's `LRFinder` callback): an exponential LR schedule
 * from `start` to `end` over `steps`, the loss smoothed with beta 0.98 and bias correction, and a
 * stop once the smoothed loss exceeds 4x the best seen (or is not finite). The training step itself
 * is a callback, so this runs on recorded or synthetic losses in tests; restoring weights and
 * optimizer state afterwards is the caller's job (`lr-find.ts`).
 */
import type { LrPoint } from "./suggest";

/** The LR of step `i` (0-based) of an exponential sweep, as fastai's `SchedExp(i / steps)`. */
export function sweepLr(i: number, steps: number, start: number, end: number): number {
  return start * (end / start) ** (i / steps);
}

/** Exponential moving average with bias correction (fastai's `AvgSmoothLoss`). */
export class SmoothedLoss {
  private avg = 0;
  private count = 0;
  constructor(readonly beta = 0.98) {}

  /** Adds a loss and returns the smoothed value. */
  add(loss: number): number {
    this.count += 1;
    this.avg = this.beta * this.avg + (1 - this.beta) * loss;
    return this.avg / (1 - this.beta ** this.count);
  }
}

export interface SweepOptions {
  steps: number;
  start: number;
  end: number;
  /** Trains one batch at this LR and returns its loss. */
  step: (lr: number, index: number) => Promise<number> | number;
  /** Stop when the smoothed loss is above `divergence` x the best (fastai: 4). */
  divergence?: number;
  /** Called after each recorded point (index 0-based), for progress. */
  onPoint?: (point: LrPoint, index: number) => Promise<void> | void;
}

/** Runs the sweep and returns the recorded points (the diverged last point is kept, like fastai). */
export async function sweep(opts: SweepOptions): Promise<LrPoint[]> {
  const divergence = opts.divergence ?? 4;
  const smooth = new SmoothedLoss();
  const points: LrPoint[] = [];
  let best = Infinity;
  for (let i = 0; i < opts.steps; i++) {
    const lr = sweepLr(i, opts.steps, opts.start, opts.end);
    const loss = await opts.step(lr, i);
    const smoothed = smooth.add(loss);
    if (!Number.isFinite(smoothed)) break;
    points.push({ lr, loss, smoothed });
    await opts.onPoint?.({ lr, loss, smoothed }, i);
    if (smoothed < best) best = smoothed;
    if (smoothed > divergence * best) break;
  }
  return points;
}

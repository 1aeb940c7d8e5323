/**
 * Folds a run's event stream into the series the Run page draws. The arrays are mutated in place
 * (chart.js datasets point at them), so a live event costs an append, not a copy. x is the
 * optimiser step counted across stages. Batches and epochs a resume superseded are dropped when its
 * `run_resumed` arrives: the shared rule (shared/src/epochs.ts), applied to a live stream.
 */
import type { EventOf, RunEvent, RunStatus } from "@tessera/shared";
import { statusAfter } from "@tessera/shared/epochs";

export interface Pt {
  x: number;
  y: number;
}

export interface StageMark {
  name: string;
  label: string;
  index: number;
  x: number;
  epochs: number;
  stepsPerEpoch: number;
}

export class RunState {
  classes: string[] = [];
  groups: string[] = [];
  stages: StageMark[] = [];
  batchLoss: Pt[] = [];
  batchSeq: number[] = [];
  lr: Record<string, Pt[]> = {};
  trainLoss: Pt[] = [];
  validLoss: Pt[] = [];
  accuracy: Pt[] = [];
  epochSeq: number[] = [];
  lrFinds: EventOf<"lr_find">[] = [];
  /** The LR-finder sweep in progress (its last step event), or null: shown instead of dashes. */
  lrFindLive: EventOf<"lr_find_step"> | null = null;
  lastEpoch: EventOf<"epoch"> | null = null;
  lastBatch: EventOf<"batch"> | null = null;
  status: RunStatus | null = null;
  error: string | null = null;
  lastSeq = -1;
  /** [time ms, step] of recent batches, for the ETA. */
  private recent: [number, number][] = [];

  apply(e: RunEvent): void {
    if (e.seq <= this.lastSeq) return; // a duplicate can never move a chart
    this.lastSeq = e.seq;
    this.status = statusAfter(e) ?? this.status;
    switch (e.type) {
      case "run_started":
        this.classes = e.classes;
        break;
      case "stage_started":
        for (const g of Object.keys(e.lr)) if (!this.groups.includes(g)) this.groups.push(g);
        this.stages.push({
          name: e.stage,
          // k-fold runs repeat the stages per fold; label them apart on the charts
          label: e.fold === undefined ? e.stage : `fold ${e.fold} · ${e.stage}`,
          index: e.index,
          x: this.batchLoss.length,
          epochs: e.epochs,
          stepsPerEpoch: e.steps_per_epoch,
        });
        break;
      case "lr_find_step":
        this.lrFindLive = e;
        break;
      case "lr_find":
        this.lrFinds.push(e);
        this.lrFindLive = null;
        break;
      case "batch": {
        const x = this.batchLoss.length + 1;
        this.batchLoss.push({ x, y: e.loss });
        this.batchSeq.push(e.seq);
        for (const [g, v] of Object.entries(e.lr)) (this.lr[g] ??= []).push({ x, y: v });
        this.lastBatch = e;
        this.recent.push([Date.parse(e.time), x]);
        if (this.recent.length > 50) this.recent.shift();
        break;
      }
      case "epoch": {
        const x = this.batchLoss.length;
        this.trainLoss.push({ x, y: e.train_loss });
        this.validLoss.push({ x, y: e.valid_loss });
        this.accuracy.push({ x, y: e.valid_accuracy });
        this.epochSeq.push(e.seq);
        this.lastEpoch = e;
        break;
      }
      case "run_resumed":
        this.dropBatchesAfter(e.superseded_after_seq);
        this.dropEpochsAfter(e.superseded_after_seq);
        break;
      case "run_failed":
        this.error = e.error;
        break;
      default:
        break;
    }
  }

  private dropBatchesAfter(seq: number): void {
    const keep = this.batchSeq.findIndex((s) => s > seq);
    if (keep < 0) return;
    this.batchLoss.length = keep;
    this.batchSeq.length = keep;
    for (const series of Object.values(this.lr)) series.length = Math.min(series.length, keep);
    this.recent = [];
  }

  private dropEpochsAfter(seq: number): void {
    const keep = this.epochSeq.findIndex((s) => s > seq);
    if (keep < 0) return;
    for (const series of [this.trainLoss, this.validLoss, this.accuracy, this.epochSeq]) series.length = keep;
    if (this.lastEpoch && this.lastEpoch.seq > seq) this.lastEpoch = null;
  }

  /** Seconds per step over the recent batches, or null before there are two. */
  secondsPerStep(): number | null {
    const first = this.recent[0];
    const last = this.recent.at(-1);
    if (!first || !last || last[1] === first[1]) return null;
    return (last[0] - first[0]) / 1000 / (last[1] - first[1]);
  }

  /** Steps left in the current stage plus `laterEpochs` more epochs at the current steps per epoch. */
  stepsLeft(laterEpochs: number): number | null {
    const stage = this.stages.at(-1);
    if (!stage) return null;
    const done = this.batchLoss.length - stage.x;
    return Math.max(0, stage.epochs * stage.stepsPerEpoch - done) + laterEpochs * stage.stepsPerEpoch;
  }
}

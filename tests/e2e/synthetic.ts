/**
 * Plausible event streams for fixture runs: run_started, per stage an optional lr_find, batches,
 * epochs with per-class scores and a confusion matrix, checkpoints, then run_finished.
 */
import type { PerClass, RunEventBody, RunSummary } from "@tessera/shared";
import type { FixtureRun } from "./fixture-run";

export interface SyntheticStage {
  name: string;
  epochs: number;
  steps: number;
  lrFind?: boolean;
  lr?: number;
}

export interface SyntheticOptions {
  classes: string[];
  stages: SyntheticStage[];
  groups?: string[];
  /** Pause between events, for live tests. @default 0 */
  delayMs?: number;
  /** Accuracy reached at the end. @default 0.95 */
  finalAccuracy?: number;
  finish?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function confusionFor(n: number, accuracy: number, support: number): number[][] {
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => {
      const right = Math.round(support * accuracy);
      if (i === j) return right;
      return j === (i + 1) % n ? support - right : 0;
    }),
  );
}

function perClass(classes: string[], m: number[][]): PerClass[] {
  return classes.map((c, i) => {
    const tp = m[i]![i]!;
    const support = m[i]!.reduce((a, b) => a + b, 0);
    const predicted = m.reduce((a, row) => a + row[i]!, 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    return {
      class: c,
      precision,
      recall,
      f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
      support,
    };
  });
}

/** The whole event list of a synthetic run (bodies only; FixtureRun numbers them). */
export function* syntheticEvents(runId: string, o: SyntheticOptions): Generator<RunEventBody> {
  const groups = o.groups ?? ["body", "head"];
  const final = o.finalAccuracy ?? 0.95;
  const totalEpochs = o.stages.reduce((a, s) => a + s.epochs, 0);
  yield {
    type: "run_started",
    run_id: runId,
    config_hash: "c0ffee00",
    data_hash: "da7a0000",
    classes: o.classes,
    backend: "cpu",
    seed: 1,
  };
  let step = 0;
  let done = 0;
  for (const [index, s] of o.stages.entries()) {
    const max = s.lr ?? 1e-3;
    const lr = Object.fromEntries(groups.map((g, i) => [g, max / 10 ** (groups.length - 1 - i)]));
    yield {
      type: "stage_started",
      stage: s.name,
      index,
      size: 32,
      epochs: s.epochs,
      steps_per_epoch: s.steps,
      trainable: groups,
      lr,
      schedule: { name: "constant" },
    };
    if (s.lrFind) {
      const points = Array.from({ length: 40 }, (_, i) => {
        const l = 1e-7 * 10 ** (i / 6);
        const loss = 2.5 - Math.sin((i / 40) * Math.PI) * 1.5 + (i > 34 ? (i - 34) * 0.8 : 0);
        return { lr: l, loss, smoothed: loss };
      });
      const suggestions = { valley: 3e-4, steep: 1e-4, minimum: 1e-3, slide: 5e-4 };
      yield { type: "lr_find", stage: s.name, points, suggestions, chosen: { rule: "valley", lr: suggestions.valley } };
    }
    for (let epoch = 0; epoch < s.epochs; epoch++) {
      for (let b = 0; b < s.steps; b++) {
        step++;
        const loss = 2 * Math.exp(-step / 20) + 0.05;
        yield { type: "batch", stage: s.name, epoch, step, loss, lr, images_per_s: 100 };
      }
      done++;
      const acc = Math.min(1, (final * (1 - Math.exp((-3 * done) / totalEpochs))) / (1 - Math.exp(-3)));
      const confusion = confusionFor(o.classes.length, acc, 10);
      yield {
        type: "epoch",
        stage: s.name,
        epoch,
        step,
        train_loss: 2 * Math.exp(-step / 20) + 0.05,
        valid_loss: 2 * Math.exp(-step / 25) + 0.08,
        valid_accuracy: acc,
        per_class: perClass(o.classes, confusion),
        confusion,
        seconds: 1,
      };
      yield {
        type: "checkpoint",
        stage: s.name,
        epoch,
        step,
        kind: "last",
        path: "checkpoints/last",
        monitor: "valid.accuracy",
        value: acc,
      };
    }
    yield { type: "stage_finished", stage: s.name, best: { epoch: s.epochs - 1, value: final } };
  }
}

/** Appends a synthetic run's events to `run`, pausing `delayMs` between them. */
export async function writeSyntheticRun(run: FixtureRun, o: SyntheticOptions): Promise<void> {
  for (const body of syntheticEvents(run.id, o)) {
    run.append(body);
    if (o.delayMs) await sleep(o.delayMs);
  }
  if (o.finish !== false) {
    const last = run.lastEpoch;
    const summary: RunSummary = {
      format: 1,
      classes: o.classes,
      best: last
        ? { stage: last.stage, epoch: last.epoch, monitor: "valid.accuracy", value: last.valid_accuracy }
        : null,
      final: {
        valid_accuracy: last?.valid_accuracy ?? 0,
        valid_loss: last?.valid_loss ?? 0,
        train_loss: last?.train_loss ?? 0,
      },
      tta_accuracy: null,
      per_class: last?.per_class ?? [],
      confusion: last?.confusion ?? [],
      most_confused: [],
      folds: null,
      folds_mean: null,
      folds_std: null,
      seconds: 1,
    };
    run.append({ type: "run_finished", summary });
    run.writeSummary(summary);
    run.writeMeta({ status: "finished", ended: new Date().toISOString() });
    run.release();
  }
}

/**
 * Hand-made run folders for the diff and report tests, written through the real run-store writer
 * in the DESIGN.md format: deterministic numbers, chosen per test (split hash, per-class results,
 * LR-finder sweep). Real training runs are used by the cross-package tests in tests/.
 */
import { stringify } from "yaml";
import type { PerClass, ResolvedConfig, ResolvedStage, RunSummary } from "@tessera/shared";
import { toWritten } from "../config";
import { createRun } from "../runs";
import { confusedPairs } from "./run-metrics";

/** A small resolved config: two named stages over three layer groups. */
export function sampleConfig(over: (c: ResolvedConfig) => void = () => {}): ResolvedConfig {
  const stage = (index: number, name: string, s: Partial<ResolvedStage>): ResolvedStage => ({
    name,
    index,
    trainable: ["head"],
    train_bn: true,
    bn: "train",
    epochs: 2,
    size: 32,
    batch_size: 16,
    lr: { kind: "fixed", min: 1e-3, max: 1e-3 },
    schedule: { name: "one_cycle", pct_start: 0.25, div: 25, div_final: 1e5, moms: [0.95, 0.85] },
    ...s,
  });
  const config: ResolvedConfig = {
    name: "fixture",
    description: "",
    seed: 42,
    backend: "cpu",
    inference_engine: "auto",
    data: {
      source: "synthetic",
      classes: 4,
      per_class: 10,
      image_size: 32,
      split: { protocol: "holdout", valid: 0.25, k: 5, folds: null, stratify: true, seed: 42 },
      resize: "squish",
      normalize: "auto",
      augment: { dihedral: true, crop: null, brightness: 0, contrast: 0, stain_jitter: 0 },
      on_bad_image: "error",
    },
    model: {
      backbone: "resnet18",
      pretrained: "none",
      width: 0.25,
      head: { dropout: 0.5, hidden: 0 },
      groups: { early: ["stem", "conv2", "conv3"], late: ["conv4", "conv5"], head: ["head"] },
    },
    train: {
      batch_size: 16,
      micro_batch: 16,
      recompute: false,
      optimizer: { name: "adam", weight_decay: 0.01, momentum: 0.9, beta1: 0.9, beta2: 0.99, eps: 1e-5 },
      stages: [
        stage(0, "head", {}),
        stage(1, "fine-tune", { trainable: ["early", "late", "head"], lr: { kind: "fixed", min: 1e-6, max: 1e-4 } }),
      ],
    },
    checkpoint: { monitor: "valid.accuracy", mode: "max" },
    early_stopping: null,
    tta: false,
  };
  over(config);
  return config;
}

export interface FakeRunOptions {
  runsDir: string;
  id: string;
  config?: ResolvedConfig;
  classes?: string[];
  /** Validation accuracy after each epoch, stage by stage (one list per stage). */
  accuracy?: number[][];
  /** Final confusion matrix (rows true, cols predicted). */
  confusion?: number[][];
  splitHash?: string | null;
  gitCommit?: string | null;
  /** Write an `lr_find` event before each stage. */
  lrFind?: boolean;
  /** Leave the run unfinished (no summary, status running -> interrupted). */
  unfinished?: boolean;
}

function perClass(classes: string[], confusion: number[][]): PerClass[] {
  return classes.map((cls, i) => {
    const tp = confusion[i]?.[i] ?? 0;
    const support = (confusion[i] ?? []).reduce((s, x) => s + x, 0);
    const predicted = confusion.reduce((s, row) => s + (row[i] ?? 0), 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { class: cls, precision, recall, f1, support };
  });
}

/** Writes a run folder and returns its path. */
export async function writeFakeRun(o: FakeRunOptions): Promise<string> {
  const config = o.config ?? sampleConfig();
  const classes = o.classes ?? ["A", "B", "C", "D"];
  const confusion =
    o.confusion ?? classes.map((_, i) => classes.map((_, j) => (i === j ? 9 : j === (i + 1) % classes.length ? 1 : 0)));
  const accuracy = o.accuracy ?? [
    [0.5, 0.7],
    [0.8, 0.9],
  ];
  const writer = await createRun({
    runsDir: o.runsDir,
    id: o.id,
    loaded: {
      config,
      configHash: `sha256:${config.name}-${JSON.stringify(config).length}`,
      resolvedYaml: stringify(toWritten(config)),
    },
    warn: () => {},
  });
  writer.updateMeta({
    split_hash: o.splitHash ?? "split-1",
    data_hash: "data-1",
    git_commit: o.gitCommit ?? "c0ffee",
    backend: { name: "cpu", version: "4.22.0", threads: 1, device: null },
  });
  writer.append({
    type: "run_started",
    run_id: writer.id,
    config_hash: "sha256:x",
    data_hash: "data-1",
    classes,
    backend: "cpu",
    seed: 42,
  });
  const pc = perClass(classes, confusion);
  let step = 0;
  let last = { valid_accuracy: 0, valid_loss: 0, train_loss: 0 };
  config.train.stages.forEach((stage, s) => {
    const accs = accuracy[s] ?? [];
    if (o.lrFind) {
      const points = Array.from({ length: 20 }, (_, k) => {
        const lr = 1e-7 * 10 ** (k * 0.4);
        const loss = 2 - Math.sin((k / 19) * Math.PI * 0.8) * 1.2 + (k > 16 ? (k - 16) * 0.8 : 0);
        return { lr, loss, smoothed: loss };
      });
      const suggestions = { valley: 1e-4, steep: 3e-5, minimum: 1e-3, slide: 2e-4 };
      writer.append({ type: "lr_find", stage: stage.name, points, suggestions, chosen: { rule: "valley", lr: 1e-4 } });
    }
    const lr = Object.fromEntries(stage.trainable.map((g) => [g, stage.lr.kind === "fixed" ? stage.lr.max : 1e-3]));
    writer.append({
      type: "stage_started",
      stage: stage.name,
      index: s,
      size: stage.size,
      epochs: accs.length,
      steps_per_epoch: 3,
      trainable: stage.trainable,
      lr,
      schedule: stage.schedule,
    });
    accs.forEach((acc, epoch) => {
      step += 3;
      last = { valid_accuracy: acc, valid_loss: 1.5 * (1 - acc) + 0.05, train_loss: 1.4 * (1 - acc) + 0.02 };
      writer.append({ type: "epoch", stage: stage.name, epoch, step, ...last, per_class: pc, confusion, seconds: 2 });
    });
    writer.append({
      type: "stage_finished",
      stage: stage.name,
      best: { epoch: accs.length - 1, value: Math.max(...accs) },
    });
  });
  if (o.unfinished) {
    writer.finish("interrupted");
    return writer.dir;
  }
  const all = accuracy.flat();
  const bestValue = Math.max(...all);
  const bestStage = accuracy.findIndex((a) => a.includes(bestValue));
  const summary: RunSummary = {
    format: 1,
    classes,
    best: {
      stage: config.train.stages[bestStage]?.name ?? "",
      epoch: accuracy[bestStage]!.indexOf(bestValue),
      monitor: "valid.accuracy",
      value: bestValue,
    },
    final: last,
    tta_accuracy: null,
    per_class: pc,
    confusion,
    most_confused: confusedPairs(classes, confusion).slice(0, 5),
    folds: null,
    folds_mean: null,
    folds_std: null,
    seconds: 12.5,
  };
  writer.append({ type: "run_finished", summary });
  writer.writeSummary(summary);
  writer.finish("finished");
  return writer.dir;
}

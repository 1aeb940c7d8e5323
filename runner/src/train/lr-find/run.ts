/**
 * `tessera lr-find` as an API: the LR finder alone on one stage's trainable groups and image size,
 * on a freshly built (seeded) model, once per seed, with the spread of each suggestion across seeds
 * (users find the finder unstable; this shows how much). Nothing is written to the runs dir.
 */
import { dirname } from "node:path";
import { LR_SUGGESTIONS, type BackendName, type LrSuggestion, type ResolvedStage } from "@tessera/shared";
import { selectBackend, type BackendInfo } from "../../backend";
import { backendOptions, loadDatasetReporting, type SetupProgress } from "../setup";
import { loadConfig } from "../../config";
import { UsageError } from "../../errors";
import { buildModel } from "../../model";
import { freezeForStage } from "../loop/step";
import { trainDataOf } from "../loop/data-adapter";
import { findLr } from "./find";
import { stageBatches } from "./batches";
import type { LrPoint } from "./suggest";
import type { LrFindStepLogs } from "../loop/hooks";
import { withSeededRandom } from "../loop/seeded";

export interface LrFindRunOptions {
  configFile: string;
  set?: string[];
  /** Stage name (default: the first stage). */
  stage?: string;
  /** How many seeds (the config's seed, +1, +2, ...). @default 1 */
  seeds?: number;
  backend?: BackendName;
  /** wasm worker threads (the CLI passes every core). @default 1 */
  threads?: number;
  /** Let native libraries' own warnings (Dawn's) through to stderr. */
  verbose?: boolean;
  cacheDir?: string | false;
  /** Called after each seed's sweep. */
  onSweep?: (seed: number, index: number) => void;
  /** Called after each step of each sweep, for a progress bar. */
  onStep?: (logs: LrFindStepLogs) => void;
  /** The backend, images checked and the loaded dataset, before the first sweep (as `tessera run`). */
  onSetup?: (step: SetupProgress) => void;
}

export interface LrFindRunResult {
  stage: string;
  size: number;
  trainable: string[];
  steps: number;
  backend: BackendInfo;
  sweeps: { seed: number; points: LrPoint[]; suggestions: Record<LrSuggestion, number>; warning: string | null }[];
  /** Per suggestion: min, median and max over the seeds (geometric spread: max / min). */
  spread: Record<LrSuggestion, { min: number; median: number; max: number; ratio: number }>;
}

/** Median of a non-empty list. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function pickStage(stages: ResolvedStage[], name: string | undefined): ResolvedStage {
  if (name === undefined) return stages[0]!;
  const found = stages.find((s) => s.name === name);
  if (!found)
    throw new UsageError(`--stage ${name}: no such stage; the stages are ${stages.map((s) => s.name).join(", ")}`);
  return found;
}

/** Runs the LR finder on a stage for each seed and summarises the suggestions. */
export async function lrFindExperiment(opts: LrFindRunOptions): Promise<LrFindRunResult> {
  const seeds = opts.seeds ?? 1;
  if (!Number.isInteger(seeds) || seeds < 1)
    throw new UsageError(`--seeds: expected a positive integer, received ${seeds}`);
  const { config, file } = await loadConfig(opts.configFile, { set: opts.set ?? [] });
  const stage = pickStage(config.train.stages, opts.stage);
  const sweepCfg = stage.lr.kind === "find" ? stage.lr : { steps: 100, start: 1e-7, end: 10 };
  const backend = await selectBackend(opts.backend ?? config.backend, backendOptions(opts));
  opts.onSetup?.({ kind: "backend", name: backend.name, threads: backend.threads });
  const sweeps: LrFindRunResult["sweeps"] = [];
  // The data and its split stay fixed; the seeds vary the model's init and the batches drawn.
  const dataset = await loadDatasetReporting(config, {
    baseDir: dirname(file),
    ...(opts.cacheDir === undefined ? {} : { cacheDir: opts.cacheDir }),
    ...(opts.onSetup ? { onSetup: opts.onSetup } : {}),
  });
  for (let i = 0; i < seeds; i++) {
    const seed = config.seed + i;
    const result = await withSeededRandom(seed, async () => {
      const built = await buildModel(config.model, dataset.classes.length, { seed });
      const data = trainDataOf(dataset, config.data, built.preprocessing);
      const fold = data.folds[0]!;
      const variables = freezeForStage(built, stage.trainable, stage.train_bn, stage.bn);
      try {
        return await findLr({
          model: built.model,
          variables,
          optimizer: config.train.optimizer,
          numClasses: data.classes.length,
          microBatch: config.train.micro_batch,
          recompute: config.train.recompute,
          ...sweepCfg,
          ...(opts.onStep ? { onStep: (p) => opts.onStep!({ ...p, stage: stage.name, fold: null }) } : {}),
          // The very batches the run's own finder draws for this stage and seed.
          batch: stageBatches({ data, fold, stage, seed }),
        });
      } finally {
        built.model.dispose();
      }
    });
    sweeps.push({ seed, ...result });
    opts.onSweep?.(seed, i);
  }
  const spread = Object.fromEntries(
    LR_SUGGESTIONS.map((rule) => {
      const values = sweeps.map((s) => s.suggestions[rule]);
      const min = Math.min(...values);
      const max = Math.max(...values);
      return [rule, { min, median: median(values), max, ratio: max / min }];
    }),
  ) as LrFindRunResult["spread"];
  return {
    stage: stage.name,
    size: stage.size,
    trainable: stage.trainable,
    steps: sweepCfg.steps,
    backend,
    sweeps,
    spread,
  };
}

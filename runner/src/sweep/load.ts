/**
 * Loading a sweep file: the base config and every trial, validated before anything runs (that is
 * `checkConfig`'s sweep pass), then the resolved sweep, each planned trial's parameters and
 * config_hash, and, for ASHA, the rungs over the schedule's epochs.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve as resolvePath } from "node:path";
import {
  ashaRungs,
  resolveSweep,
  trialParams,
  type ExperimentConfig,
  type ResolvedConfig,
  type ResolvedSweep,
  type TrialParams,
} from "@tessera/shared";
import { checkConfig, loadConfig, trialSets, type LoadedConfig } from "../config";
import { loadLayers } from "../config/extends";
import { ConfigError } from "../errors";

/** One trial as it will run. */
export interface PlannedTrial {
  index: number;
  params: TrialParams;
  /** The trial's `--set` flags. */
  sets: string[];
  configHash: string;
  config: ResolvedConfig;
}

export interface LoadedSweep {
  /** Absolute path of the sweep file. */
  file: string;
  specText: string;
  /** sha256 of the file's text: a resume refuses a sweep file that changed. */
  specHash: string;
  base: LoadedConfig;
  sweep: ResolvedSweep;
  /** Epochs of one whole trial (every trial has the same length under ASHA). */
  epochs: number;
  /** ASHA: the epoch count of each rung; otherwise null. */
  rungs: number[] | null;
  /** Trial `index` (any index: random sweeps can draw past the plan on resume; they don't). */
  trial(index: number): Promise<PlannedTrial>;
}

/** Loads and checks a sweep file; throws ConfigError listing every problem. */
export async function loadSweep(file: string): Promise<LoadedSweep> {
  const absolute = resolvePath(file);
  const base = await loadConfig(absolute);
  const { layers } = await loadLayers(absolute);
  const written = layers?.merged as (ExperimentConfig & Record<string, unknown>) | undefined;
  if (!written?.sweep) {
    throw new ConfigError(`${file}: no sweep: section; tessera sweep needs one (see docs/sweeps.md)`);
  }
  const sweep = resolveSweep(written.sweep, base.config.seed);
  const epochsOf = (c: ResolvedConfig) => c.train.stages.reduce((n, s) => n + s.epochs, 0);
  const trial = async (index: number): Promise<PlannedTrial> => {
    const params = trialParams(sweep, index);
    const sets = trialSets(params);
    const checked = await checkConfig(absolute, { set: sets, sweepTrials: false });
    if (!checked.ok) throw new ConfigError(`${file}: trial ${index} is invalid: ${checked.errors[0]?.message ?? "?"}`);
    return { index, params, sets, configHash: checked.loaded.configHash, config: checked.loaded.config };
  };
  const epochs = epochsOf(base.config);
  if (sweep.asha) {
    if (base.config.data.split.protocol === "kfold" || base.config.data.split.protocol === "leave_one_out")
      throw new ConfigError(
        `${file}: sweep.method: asha needs a holdout split (its rungs stop runs part-way), not ${base.config.data.split.protocol}`,
      );
    for (let i = 0; i < sweep.trials; i++) {
      const t = await trial(i);
      if (epochsOf(t.config) !== epochs)
        throw new ConfigError(
          `${file}: sweep.method: asha needs every trial to train the same number of epochs (its rungs are ` +
            `epochs of the schedule); trial ${i} has ${epochsOf(t.config)}, the base ${epochs}`,
        );
    }
  }
  const specText = readFileSync(absolute, "utf8");
  return {
    file: absolute,
    specText,
    specHash: createHash("sha256").update(specText).digest("hex"),
    base,
    sweep,
    epochs,
    rungs: sweep.asha ? ashaRungs(sweep.asha.min, sweep.asha.reduction, epochs) : null,
    trial,
  };
}

/**
 * `tessera plan <config> [--set k=v]... [--json] [--check-data]`: a dry run that prints what each
 * stage will do (groups, per-group LRs, schedule and its curve, step counts) without touching tfjs.
 * For a file with a `sweep:` section it plans the sweep instead (../../sweep/plan.ts).
 */
import { loadConfig } from "../../config";
import { countData } from "../../config/data-count";
import { makePlan } from "../../config/plan";
import { formatPlan } from "../../config/plan-format";
import { loadLayers } from "../../config/extends";
import { formatSweepPlan, planSweep } from "../../sweep/plan";
import { resolve } from "node:path";
import { ExitError } from "../../errors";
import { configMemory } from "../../model/memory";
import { firstTapedPart } from "../../train/activation-cache/eligibility";

/** The flags of `tessera plan`. */
export interface PlanOptions {
  set?: string[];
  json?: boolean;
  checkData?: boolean;
  /** A sweep's plan reads the runs dir for a measured speed. */
  runsDir?: string;
  /** Accepted for symmetry with `tessera sweep --dry-run`: plan never writes anything. */
  dryRun?: boolean;
}

/** True when the file (after `extends`) has a `sweep:` section: `plan` then plans the sweep. */
async function hasSweep(file: string): Promise<boolean> {
  const { layers } = await loadLayers(resolve(file));
  return layers?.merged.sweep !== undefined;
}

/**
 * Prints the plan (text on stderr, `--json` on stdout); a bad config throws ConfigError (exit 1),
 * and so does a stage that cannot fit the configured wasm backend's heap (`run` would refuse it).
 */
export async function planCommand(file: string, opts: PlanOptions): Promise<void> {
  if (!opts.set?.length && (await hasSweep(file))) {
    const plan = await planSweep(file, opts.runsDir ? { runsDir: opts.runsDir } : {});
    if (opts.json) process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
    else process.stderr.write(formatSweepPlan(plan));
    return;
  }
  const loaded = await loadConfig(file, { set: opts.set ?? [], checkData: opts.checkData });
  const count = opts.checkData ? await countData(loaded.config.data, loaded.config.seed) : null;
  const { config } = loaded;
  // `auto` may land on wasm (no native backend installed), the one backend with a hard limit.
  const backend = config.backend === "auto" ? "wasm" : config.backend;
  const memory = { backend, stages: configMemory(config, backend, { fromPart: (s) => firstTapedPart(config, s) }) };
  const plan = { ...makePlan(loaded, count), memory };
  if (opts.json) process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
  else process.stderr.write(formatPlan(plan));
  const problem = memory.stages.find((s) => s.problem !== null)?.problem;
  if (problem && config.backend === "wasm") throw new ExitError(problem);
}

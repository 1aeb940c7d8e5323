/**
 * `tessera plan <config> [--set k=v]... [--json] [--check-data]`: a dry run that prints what each
 * stage will do (groups, per-group LRs, schedule and its curve, step counts) without touching tfjs.
 */
import { loadConfig } from "../../config";
import { countData } from "../../config/data-count";
import { makePlan } from "../../config/plan";
import { formatPlan } from "../../config/plan-format";
import { ExitError } from "../../errors";
import { configMemory } from "../../model/memory";
import { firstTapedPart } from "../../train/activation-cache/eligibility";

/** The flags of `tessera plan`. */
export interface PlanOptions {
  set?: string[];
  json?: boolean;
  checkData?: boolean;
}

/**
 * Prints the plan (text on stderr, `--json` on stdout); a bad config throws ConfigError (exit 1),
 * and so does a stage that cannot fit the configured wasm backend's heap (`run` would refuse it).
 */
export async function planCommand(file: string, opts: PlanOptions): Promise<void> {
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

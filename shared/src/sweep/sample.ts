/**
 * Which trials a sweep runs: the grid's product, or seeded random draws. A random trial is a pure
 * function of (seed, trial index), so a resumed sweep redraws nothing: it continues at the next
 * index recorded in trials.jsonl, and trial 7 is the same draw on every machine.
 */
import type { DistributionConfig, SweepConfig, SweepMethod } from "./schema";
import { mulberry32 } from "../random";

/** The `sweep:` section with every default filled. */
export interface ResolvedSweep {
  method: SweepMethod;
  metric: "valid.accuracy" | "valid.loss" | "train.loss";
  mode: "max" | "min";
  /** Grid: the product of the value counts; random/asha: `trials`. */
  trials: number;
  parallel: number;
  seed: number;
  /** Config path -> distribution, in the order written. */
  parameters: Record<string, DistributionConfig>;
  asha: { resource: "epochs"; min: number; reduction: number } | null;
}

/** A trial's parameter values: config path -> value, in the sweep's parameter order. */
export type TrialParams = Record<string, unknown>;

/** Fills the sweep defaults; `trials` of random/asha default to 10. */
export function resolveSweep(written: SweepConfig, experimentSeed: number): ResolvedSweep {
  const parameters = structuredClone(written.parameters) as Record<string, DistributionConfig>;
  const grid = written.method === "grid";
  return {
    method: written.method,
    metric: written.metric ?? "valid.accuracy",
    mode: written.mode ?? "max",
    trials: grid ? gridSize(parameters) : (written.trials ?? 10),
    parallel: written.parallel ?? 1,
    seed: written.seed ?? experimentSeed,
    parameters,
    asha:
      written.method === "asha"
        ? { resource: "epochs", min: written.asha?.min ?? 1, reduction: written.asha?.reduction ?? 3 }
        : null,
  };
}

/** What a schema cannot say about a sweep: grid takes `values` only, ranges run low to high. */
export function sweepProblems(written: SweepConfig): { path: string; key?: true; message: string }[] {
  const problems: { path: string; key?: true; message: string }[] = [];
  for (const [path, dist] of Object.entries(written.parameters)) {
    const [name] = Object.keys(dist) as (keyof DistributionConfig)[];
    if (written.method === "grid" && name !== "values")
      problems.push({
        path,
        message: `a grid takes values only, received ${name}; list the values or use method: random`,
      });
    const range = name && name !== "values" ? (dist[name] as [number, number]) : null;
    if (range && range[0] > range[1])
      problems.push({ path, message: `${name} must be [low, high] with low <= high, received [${range.join(", ")}]` });
  }
  if (written.method === "grid" && written.trials !== undefined) {
    const size = gridSize(written.parameters);
    if (written.trials !== size)
      problems.push({
        path: "trials",
        message: `a grid runs every combination (${size}); leave trials out, received ${written.trials}`,
      });
  }
  if (written.method !== "asha" && written.asha !== undefined)
    problems.push({ path: "asha", message: `asha settings need method: asha, received method: ${written.method}` });
  return problems;
}

function gridSize(parameters: Record<string, DistributionConfig>): number {
  return Object.values(parameters).reduce((n, d) => n * (d.values?.length ?? 1), 1);
}

/** Every combination of the `values`, the last parameter varying fastest (like nested loops). */
export function gridTrials(parameters: Record<string, DistributionConfig>): TrialParams[] {
  let rows: TrialParams[] = [{}];
  for (const [path, dist] of Object.entries(parameters)) {
    const values = dist.values ?? [];
    rows = rows.flatMap((row) => values.map((v) => ({ ...row, [path]: structuredClone(v) })));
  }
  return rows;
}

/** Trial `index`'s parameters: the grid's row, or the seeded draw. */
export function trialParams(sweep: ResolvedSweep, index: number): TrialParams {
  if (sweep.method === "grid") {
    const row = gridTrials(sweep.parameters)[index];
    if (!row) throw new RangeError(`grid trial ${index} does not exist (the grid has ${sweep.trials})`);
    return row;
  }
  return drawTrial(sweep.parameters, sweep.seed, index);
}

/** One random trial: a generator seeded by (seed, index), one draw per parameter in order. */
export function drawTrial(parameters: Record<string, DistributionConfig>, seed: number, index: number): TrialParams {
  const next = mulberry32(mix(seed, index));
  const row: TrialParams = {};
  for (const [path, dist] of Object.entries(parameters)) row[path] = draw(dist, next());
  return row;
}

function draw(dist: DistributionConfig, u: number): unknown {
  if (dist.values)
    return structuredClone(dist.values[Math.min(dist.values.length - 1, Math.floor(u * dist.values.length))]);
  if (dist.uniform) return round(dist.uniform[0] + u * (dist.uniform[1] - dist.uniform[0]));
  if (dist.log_uniform) {
    const [lo, hi] = dist.log_uniform.map(Math.log) as [number, number];
    return round(Math.exp(lo + u * (hi - lo)));
  }
  if (dist.int_uniform) {
    const [lo, hi] = dist.int_uniform;
    return Math.min(hi, lo + Math.floor(u * (hi - lo + 1)));
  }
  throw new Error("internal: a distribution with none of values, uniform, log_uniform, int_uniform");
}

/** Six significant digits: a drawn LR reads as 0.00123457 in configs and diffs, not 17 digits. */
const round = (x: number) => Number(x.toPrecision(6));

/** A 32-bit seed from (seed, index), so neighbouring indices give unrelated streams. */
function mix(seed: number, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}

/** `tessera lr-find <config> [--stage name] [--seeds n] [--set k=v]... [--backend b] [--json]`. */
import type { BackendName } from "@tessera/shared";
import { UsageError } from "../../errors";
import { lrFindExperiment } from "../../train/lr-find/run";
import { lrChart } from "./lr-chart";
import { progressHooks } from "./run-progress";

export interface LrFindCommandOptions {
  stage?: string;
  seeds?: string;
  set?: string[];
  backend?: BackendName;
  threads?: number;
  verbose?: boolean;
  json?: boolean;
}

const e = (v: number) => v.toExponential(2);

/** Runs the finder and prints the curve, the four suggestions, and with --seeds n their spread. */
export async function lrFindCommand(config: string, opts: LrFindCommandOptions = {}): Promise<void> {
  const seeds = Number(opts.seeds ?? "1");
  if (!Number.isInteger(seeds) || seeds < 1 || seeds > 50) {
    throw new UsageError(`--seeds: expected an integer from 1 to 50, received ${JSON.stringify(opts.seeds)}`);
  }
  const progress = progressHooks();
  const result = await lrFindExperiment({
    configFile: config,
    set: opts.set ?? [],
    seeds,
    ...(opts.stage === undefined ? {} : { stage: opts.stage }),
    ...(opts.backend ? { backend: opts.backend } : {}),
    ...(opts.threads ? { threads: opts.threads } : {}),
    ...(opts.verbose ? { verbose: true } : {}),
    onStep: (l) => progress.onLrFindStep(l),
    onSweep: (seed, i) => {
      progress.endLrFind();
      process.stderr.write(`sweep ${i + 1}/${seeds} (seed ${seed}) done\n`);
    },
    onSetup: (step) => progress.onSetup(step),
  }).finally(() => progress.close());
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const out: string[] = [];
  out.push(
    `LR finder: stage '${result.stage}' (size ${result.size}, trains [${result.trainable.join(", ")}]), ` +
      `${result.steps} planned steps, backend ${result.backend.name}`,
  );
  const first = result.sweeps[0]!;
  out.push("", lrChart(first.points, first.suggestions), "");
  if (result.sweeps.length === 1) {
    out.push("suggestions:");
    for (const [rule, lr] of Object.entries(first.suggestions)) out.push(`  ${rule.padEnd(8)} ${e(lr)}`);
  } else {
    out.push(`suggestions over ${result.sweeps.length} seeds (min / median / max, max/min):`);
    for (const [rule, s] of Object.entries(result.spread)) {
      out.push(`  ${rule.padEnd(8)} ${e(s.min)} / ${e(s.median)} / ${e(s.max)}   x${s.ratio.toFixed(1)}`);
    }
  }
  const warnings = [...new Set(result.sweeps.map((s) => s.warning).filter((w): w is string => w !== null))];
  for (const w of warnings) out.push(`warning: ${w}`);
  process.stderr.write(`${out.join("\n")}\n`);
}

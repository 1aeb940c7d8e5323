/**
 * The `sweep:` section's checks beyond the schema: the method's own rules (grid takes `values`
 * only, ranges run low to high), then every trial's config — the base with that trial's parameters
 * applied as `--set` — loaded, resolved and checked like any config, before anything runs. A
 * trial's problem is pinned to its parameter in the sweep file and names the trial; the same problem
 * in several trials is reported once, for the first.
 */
import {
  resolveSweep,
  sweepProblems,
  trialParams,
  type ExperimentConfig,
  type SweepConfig,
  type TrialParams,
} from "@tessera/shared";
import { problemAt, type Locator, type Problem } from "./problems";

/** One trial of a sweep as `--set` flags. */
export interface SweepTrial {
  index: number;
  params: TrialParams;
  /** `path=value` (JSON, which is YAML) in parameter order: what the trial's `tessera run` gets. */
  sets: string[];
}

/** The trial's `--set` flags. */
export function trialSets(params: TrialParams): string[] {
  return Object.entries(params).map(([path, value]) => `${path}=${JSON.stringify(value)}`);
}

/** Every planned trial of a written (schema-valid) config's sweep. */
export function plannedTrials(written: ExperimentConfig & { sweep: SweepConfig }): SweepTrial[] {
  const sweep = resolveSweep(written.sweep, written.seed ?? 42);
  return Array.from({ length: sweep.trials }, (_, index) => {
    const params = trialParams(sweep, index);
    return { index, params, sets: trialSets(params) };
  });
}

/** Checks the sweep rules and every trial; `checkTrial` loads the base with the extra `--set`s. */
export async function checkSweepSection(
  written: ExperimentConfig & { sweep: SweepConfig },
  locate: Locator,
  checkTrial: (sets: string[]) => Promise<Problem[]>,
): Promise<Problem[]> {
  const at = (param: string) => ["sweep", "parameters", param];
  const ruleProblems = sweepProblems(written.sweep).map((p) =>
    problemAt(
      locate,
      p.path in written.sweep.parameters ? ["sweep", "parameters", p.path] : ["sweep", p.path],
      p.message,
      "sweep",
      { at: "key" },
    ),
  );
  if (ruleProblems.length > 0) return ruleProblems;
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const trial of plannedTrials(written)) {
    for (const p of await checkTrial(trial.sets)) {
      if (p.severity !== "error") continue;
      // A problem a --set flag caused belongs to that parameter's line in the sweep file.
      const param = Object.keys(trial.params).find((_, i) => p.file === `--set ${trial.sets[i]}`);
      const key = `${param ?? ""}\u0000${p.path}\u0000${p.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const value = param === undefined ? "" : ` (${param}=${show(trial.params[param])})`;
      const where = param === undefined ? p : { ...p, ...locate(at(param), "key") };
      problems.push({ ...where, message: `trial ${trial.index}${value}: ${p.message}`, source: "sweep" });
    }
  }
  return problems;
}

function show(value: unknown): string {
  return typeof value === "number" ? String(value) : JSON.stringify(value);
}

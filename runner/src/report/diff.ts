/**
 * `tessera diff` as an API: the config diff of two sides, and for two runs the metric deltas, the
 * fairness checks and the `--fail-if` verdict. Renderers (text, md, json) only format this.
 */
import { diffConfigs, type ConfigChange, type RunMeta } from "@tessera/shared";
import { UsageError } from "../errors";
import { closest } from "fastest-levenshtein";
import { classOfMetric, compareMetrics, runWarnings, type MetricComparison } from "./compare";
import { evaluateFailIf, parseFailIf, type Clause, type ClauseResult } from "./fail-if";
import type { RunSide, Side } from "./run-side";

/** A side as the output names it. */
export interface SideSummary {
  kind: "config" | "run";
  label: string;
  /** Config file path or run folder. */
  location: string;
  name: string;
  config_hash: string;
  /** Runs only. */
  status?: RunMeta["status"];
  split_hash?: string | null;
  data_hash?: string | null;
  git_commit?: string | null;
}

/** The whole comparison; `--format json` prints exactly this. */
export interface DiffResult {
  a: SideSummary;
  b: SideSummary;
  /** True when both config hashes are the same experiment. */
  same_config: boolean;
  config: ConfigChange[];
  /** Null unless both sides are runs. */
  metrics: MetricComparison | null;
  warnings: string[];
  /** Null unless `failIf` was given. */
  fail_if: { expression: string; tripped: boolean; clauses: ClauseResult[] } | null;
}

export interface DiffOptions {
  /** Where run ids are looked up (sides.ts). */
  runsDir: string;
  /** A `--fail-if` expression (see fail-if.ts); needs two runs. */
  failIf?: string;
  f1Threshold?: number;
}

function summarize(side: Side): SideSummary {
  const common = { kind: side.kind, label: side.label, name: side.config.name, config_hash: side.configHash };
  if (side.kind === "config") return { ...common, location: side.file };
  const { meta } = side;
  return {
    ...common,
    location: side.dir,
    status: meta.status,
    split_hash: meta.split_hash,
    data_hash: meta.data_hash,
    git_commit: meta.git_commit,
  };
}

/** Compares two already loaded sides. */
export function diffLoaded(a: Side, b: Side, opts: Omit<DiffOptions, "runsDir"> = {}): DiffResult {
  // Parse first: a bad expression is a usage error even before anything is compared.
  const clauses = opts.failIf === undefined ? null : parseFailIf(opts.failIf);
  const bothRuns = a.kind === "run" && b.kind === "run";
  if (clauses && !bothRuns) {
    throw new UsageError("tessera diff --fail-if compares results: both <a> and <b> must be runs, not config files");
  }
  const result: DiffResult = {
    a: summarize(a),
    b: summarize(b),
    same_config: a.configHash === b.configHash,
    config: diffConfigs(a.config, b.config),
    metrics: null,
    warnings: [],
    fail_if: null,
  };
  if (a.kind === "run" && b.kind === "run") {
    result.metrics = compareMetrics(a.metrics, b.metrics, opts.f1Threshold);
    result.warnings = runWarnings(a, b);
    if (clauses && opts.failIf !== undefined) {
      checkFailIfClasses(clauses, a, b);
      const results = evaluateFailIf(clauses, a.metrics, b.metrics);
      result.fail_if = {
        expression: opts.failIf,
        tripped: results.some((r) => r.holds !== false),
        clauses: results,
      };
    }
  }
  return result;
}

/**
 * A `class.<name>` clause on a class neither run has is a typo: left alone it "cannot evaluate"
 * and counts as tripped, failing a CI job for a reason nobody can see at a glance.
 */
function checkFailIfClasses(clauses: Clause[], a: RunSide, b: RunSide): void {
  const known = [...new Set([...a.metrics.perClass, ...b.metrics.perClass].map((p) => p.class))];
  if (known.length === 0) return; // no finished epoch on either side: nothing to check against
  for (const c of clauses) {
    const cls = classOfMetric(c.metric.name);
    if (cls !== null && !known.includes(cls)) {
      const hint = closest(cls, known);
      throw new UsageError(
        `tessera diff --fail-if: ${c.metric.name}: neither run has a class "${cls}"; did you mean "${hint}"? Classes: ${known.join(", ")}`,
      );
    }
  }
}

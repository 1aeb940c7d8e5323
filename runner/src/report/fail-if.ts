/**
 * The `--fail-if` expression language, small enough to read in one go:
 *
 *   expr    := clause ( "or" clause )*
 *   clause  := METRIC OP NUMBER [ "%" ]
 *   OP      := "<" | "<=" | ">" | ">=" | "==" | "!="
 *   METRIC  := valid.accuracy | valid.accuracy.final | valid.loss | valid.loss.final
 *            | train.loss.final | tta.accuracy | class.<name>.f1|precision|recall
 *
 * A clause compares the DELTA of the metric, candidate (b) minus baseline (a), with the number:
 * `valid.accuracy < -0.5%` holds when b's best valid accuracy is more than half a percentage
 * point below a's. `%` means percentage points and is only allowed on accuracy-like metrics (a
 * fraction in [0, 1]); without it the number is in the metric's own unit (`valid.loss > 0.05`).
 * The expression trips (exit 1) when any clause holds. Hand-written: a recursive-descent parser
 * is a dozen lines here, an expression library would accept far more than this defines.
 */
import { closest } from "fastest-levenshtein";
import { UsageError } from "../errors";
import { findMetric, METRICS, type MetricDef } from "./compare";
import type { RunMetrics } from "./run-metrics";

const OPS = ["<=", ">=", "==", "!=", "<", ">"] as const;
type Op = (typeof OPS)[number];

/** One parsed clause. `threshold` is in the metric's unit (percentage points already divided by 100). */
export interface Clause {
  text: string;
  metric: MetricDef;
  op: Op;
  threshold: number;
}

/** One clause evaluated; `holds` is null when a run lacks the metric. */
export interface ClauseResult {
  clause: Clause;
  delta: number | null;
  holds: boolean | null;
}

const TOKEN = /\s*(?:(<=|>=|==|!=|<|>)|([A-Za-z_][\w.-]*)|([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(%?))/iy;

/** Parses an expression; a bad one throws UsageError (exit 2) naming the offset and what was expected. */
export function parseFailIf(expr: string): Clause[] {
  const clauses: Clause[] = [];
  for (const text of expr.split(/\s+or\s+/)) {
    TOKEN.lastIndex = 0;
    const next = (want: string) => {
      const at = TOKEN.lastIndex;
      const m = TOKEN.exec(text);
      if (!m) throw bad(expr, text, at, `expected ${want}`);
      return { m, at };
    };
    const { m: nameTok, at: nameAt } = next("a metric name");
    const name = nameTok[2];
    if (!name) throw bad(expr, text, nameAt, "expected a metric name");
    const metric = findMetric(name);
    if (!metric) {
      const names = METRICS.map((d) => d.name);
      const hint = names.find((n) => n.startsWith(name)) ?? closest(name, names);
      throw new UsageError(
        `tessera diff --fail-if: unknown metric "${name}"; did you mean "${hint}"? Known: ${METRICS.map((d) => d.name).join(", ")}, class.<name>.f1|precision|recall`,
      );
    }
    const { m: opTok, at: opAt } = next(`a comparison (${OPS.join(" ")})`);
    const op = opTok[1] as Op | undefined;
    if (!op) throw bad(expr, text, opAt, `expected a comparison (${OPS.join(" ")})`);
    const { m: numTok, at: numAt } = next("a number");
    if (numTok[3] === undefined) throw bad(expr, text, numAt, "expected a number");
    const percent = numTok[4] === "%";
    if (percent && !metric.fraction) {
      throw new UsageError(
        `tessera diff --fail-if: "%" means percentage points and applies only to accuracy-like metrics; ${name} is not one (write the delta in its own unit)`,
      );
    }
    if (text.slice(TOKEN.lastIndex).trim() !== "") throw bad(expr, text, TOKEN.lastIndex, 'expected "or" or the end');
    clauses.push({ text: text.trim(), metric, op, threshold: Number(numTok[3]) / (percent ? 100 : 1) });
  }
  return clauses;
}

function bad(expr: string, clause: string, at: number, problem: string): UsageError {
  const rest = clause.slice(at).trim();
  return new UsageError(
    `tessera diff --fail-if: cannot parse "${expr}": ${problem}, found ${rest ? `"${rest}"` : "the end"}. Example: 'valid.accuracy < -0.5%'`,
  );
}

function compare(x: number, op: Op, y: number): boolean {
  switch (op) {
    case "<":
      return x < y;
    case "<=":
      return x <= y;
    case ">":
      return x > y;
    case ">=":
      return x >= y;
    case "==":
      return x === y;
    case "!=":
      return x !== y;
  }
}

/** Evaluates clauses on the delta b - a of each metric. */
export function evaluateFailIf(clauses: Clause[], a: RunMetrics, b: RunMetrics): ClauseResult[] {
  return clauses.map((clause) => {
    const va = clause.metric.get(a);
    const vb = clause.metric.get(b);
    if (va === null || vb === null) return { clause, delta: null, holds: null };
    // Round away float noise (0.97 - 0.975 is -0.0050000000000000044) before comparing.
    const delta = Math.round((vb - va) * 1e12) / 1e12;
    return { clause, delta, holds: compare(delta, clause.op, clause.threshold) };
  });
}

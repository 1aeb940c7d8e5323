/** Renders a DiffResult as terminal text (colour when asked) or GitHub-flavoured Markdown. */
import { createColors } from "picocolors";
import { formatChange, formatValue } from "@tessera/shared";
import type { MetricDelta } from "./compare";
import type { DiffResult } from "./diff";
import type { ClauseResult } from "./fail-if";
import { code, md, mdTable, num, pct, pp, signed } from "./format";

const value = (m: MetricDelta, v: number | null) => (m.fraction ? pct(v) : num(v));
const delta = (m: MetricDelta) => (m.fraction ? pp(m.delta) : signed(m.delta));
/** +1 better, -1 worse, 0 same or unknown. */
const verdict = (m: { delta: number | null; higherIsBetter: boolean }) =>
  m.delta === null || m.delta === 0 ? 0 : m.delta > 0 === m.higherIsBetter ? 1 : -1;

function clauseText(r: ClauseResult): string {
  const d = r.delta === null ? "missing on a side" : r.clause.metric.fraction ? pp(r.delta) : signed(r.delta);
  return `${r.clause.text}: ${r.holds === null ? "cannot evaluate (metric missing), counts as tripped" : r.holds ? "holds" : "does not hold"} (delta ${d})`;
}

/** Terminal text; `color` is usually `process.stderr.isTTY`/`stdout.isTTY`. */
export function renderDiffText(result: DiffResult, color = false): string {
  const c = createColors(color);
  const out: string[] = [];
  out.push(`${c.bold("a")} ${result.a.label}  ${c.dim(result.a.location)}`);
  out.push(`${c.bold("b")} ${result.b.label}  ${c.dim(result.b.location)}`);
  out.push("");
  if (result.config.length === 0) {
    out.push(
      result.same_config ? "config: identical (same config hash)" : "config: no differences in the resolved config",
    );
  } else {
    out.push(c.bold(`config: ${result.config.length} change${result.config.length === 1 ? "" : "s"}`));
    for (const change of result.config) {
      out.push(
        `  ${formatChange(change)}${change.defining ? "" : c.dim("  (machine-specific, not in the config hash)")}`,
      );
    }
  }
  const m = result.metrics;
  if (m) {
    out.push("", c.bold("metrics (b − a)"));
    const width = Math.max(...m.metrics.map((x) => x.label.length));
    for (const x of m.metrics) {
      const v = verdict(x);
      const paint = v > 0 ? c.green : v < 0 ? c.red : (s: string) => s;
      out.push(
        `  ${x.label.padEnd(width)}  ${value(x, x.a).padStart(8)} → ${value(x, x.b).padStart(8)}  ${paint(delta(x))}`,
      );
    }
    if (m.f1.length) {
      out.push("", c.bold(`per-class F1 changes of ${m.f1Threshold} or more`));
      for (const f of m.f1) {
        const paint = f.delta > 0 ? c.green : c.red;
        out.push(`  ${f.class}  ${num(f.a, 3)} → ${num(f.b, 3)}  ${paint(signed(f.delta, 3))}`);
      }
    }
    if (m.confusion.length) {
      out.push("", c.bold("confusion pairs that changed (true → predicted: count a → b)"));
      for (const p of m.confusion.slice(0, 10)) {
        const paint = p.delta < 0 ? c.green : c.red;
        out.push(
          `  ${p.actual} → ${p.predicted}  ${p.a} → ${p.b}  ${paint(p.delta > 0 ? `+${p.delta}` : `−${-p.delta}`)}`,
        );
      }
      if (m.confusion.length > 10) out.push(c.dim(`  ... and ${m.confusion.length - 10} more`));
    }
  }
  if (result.warnings.length) {
    out.push("");
    for (const w of result.warnings) out.push(c.yellow(`warning: ${w}`));
  }
  if (result.fail_if) {
    const f = result.fail_if;
    out.push("", (f.tripped ? c.red : c.green)(`--fail-if '${f.expression}': ${f.tripped ? "TRIPPED" : "passed"}`));
    for (const r of f.clauses) out.push(`  ${clauseText(r)}`);
  }
  return `${out.join("\n")}\n`;
}

/** GitHub-flavoured Markdown for a PR comment. */
export function renderDiffMarkdown(result: DiffResult): string {
  const out: string[] = [];
  out.push(`### tessera diff: ${code(result.a.label)} → ${code(result.b.label)}`, "");
  for (const w of result.warnings) out.push("> [!WARNING]", `> ${md(w)}`, "");
  if (result.config.length === 0) {
    out.push(
      result.same_config ? "Config: identical (same config hash)." : "Config: no differences in the resolved config.",
    );
  } else {
    out.push(`**Config changes** (${result.config.length})`, "");
    const rows = result.config.map((ch) => [
      code(ch.path) + (ch.defining ? "" : " (machine)"),
      ch.kind === "added"
        ? "(not in a)"
        : ch.kind === "moved"
          ? `position/order ${md(formatValue(ch.before))}`
          : md(formatValue(ch.before)),
      ch.kind === "removed"
        ? "(removed)"
        : ch.kind === "moved"
          ? `position/order ${md(formatValue(ch.after))}`
          : md(formatValue(ch.after)),
    ]);
    out.push(mdTable(["path", "a", "b"], rows));
  }
  const m = result.metrics;
  if (m) {
    const mark = (x: MetricDelta) => ["", " ✅", " 🔻"][verdict(x) === 1 ? 1 : verdict(x) === -1 ? 2 : 0];
    out.push("", "**Metrics** (b − a)", "");
    out.push(
      mdTable(
        ["metric", "a", "b", "Δ"],
        m.metrics.map((x) => [md(x.label), value(x, x.a), value(x, x.b), delta(x) + mark(x)]),
        ["l", "r", "r", "r"],
      ),
    );
    if (m.f1.length) {
      out.push("", `**Per-class F1** (changes of ${m.f1Threshold} or more)`, "");
      const rows = m.f1.map((f) => [md(f.class), num(f.a, 3), num(f.b, 3), signed(f.delta, 3)]);
      out.push(mdTable(["class", "a", "b", "Δ"], rows, ["l", "r", "r", "r"]));
    }
    if (m.confusion.length) {
      out.push("", "**Confusion pairs that changed** (true → predicted)", "");
      const rows = m.confusion
        .slice(0, 10)
        .map((p) => [
          `${md(p.actual)} → ${md(p.predicted)}`,
          String(p.a),
          String(p.b),
          p.delta > 0 ? `+${p.delta}` : `−${-p.delta}`,
        ]);
      out.push(mdTable(["pair", "a", "b", "Δ"], rows, ["l", "r", "r", "r"]));
    }
  }
  if (result.fail_if) {
    const f = result.fail_if;
    out.push("", `**--fail-if** ${code(f.expression)}: ${f.tripped ? "❌ tripped" : "✅ passed"}`, "");
    for (const r of f.clauses) out.push(`- ${md(clauseText(r))}`);
  }
  return `${out.join("\n")}\n`;
}

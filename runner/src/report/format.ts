/** Number and Markdown formatting shared by the diff and report renderers. */
import { fixed, MISSING } from "@tessera/shared";

export { pct } from "@tessera/shared";

/** A fraction delta in percentage points: `0.007` -> `+0.70 pp`. */
export function pp(delta: number | null, digits = 2): string {
  if (delta === null) return MISSING;
  const v = delta * 100;
  return `${v > 0 ? "+" : v < 0 ? "−" : "±"}${Math.abs(v).toFixed(digits)} pp`;
}

/** A plain number with a fixed number of decimals, {@link MISSING} for missing. */
export const num = fixed;

/** A signed delta: `+0.0123`, `−0.5`. */
export function signed(delta: number | null, digits = 4): string {
  if (delta === null) return MISSING;
  return `${delta > 0 ? "+" : delta < 0 ? "−" : "±"}${Math.abs(delta).toFixed(digits)}`;
}

/** Seconds as `1h 02m`, `3m 05s` or `12.3s`. */
export function duration(seconds: number | null): string {
  if (seconds === null) return MISSING;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m ${String(Math.round(seconds % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

/** Text safe inside a Markdown table cell (pipes escaped, no line breaks). */
export function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/**
 * Text from a run or a config (class, stage, group, host names, warnings) made inert in Markdown
 * prose or a table cell: HTML-special characters become entities (so `<img onerror=...>` shows as
 * text on GitHub and in report.html), link/image and code syntax is backslash-escaped, and line
 * breaks become spaces so a value cannot start a block of its own. Pipes are `cell()`'s job.
 */
export function md(text: string): string {
  return text
    .replace(/\r\n|\r|\n/g, " ")
    .replace(/[\\`[\]]/g, "\\$&")
    .replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c]!)
    .replace(/^([#+=-])/, "\\$1");
}

/**
 * Inline code that survives any backticks in the text: the fence is one longer than the longest
 * run inside, so the text cannot close it early and leak out as Markdown or HTML.
 */
export function code(text: string): string {
  const flat = text.replace(/\r\n|\r|\n/g, " ");
  const longest = Math.max(0, ...[...flat.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return longest > 0 || flat.startsWith(" ") ? `${fence} ${flat} ${fence}` : `${fence}${flat}${fence}`;
}

/** A GitHub-flavoured Markdown table. */
export function mdTable(head: string[], rows: string[][], align: ("l" | "r")[] = []): string {
  const sep = head.map((_, i) => (align[i] === "r" ? "---:" : "---"));
  return [head, sep, ...rows].map((r) => `| ${r.map(cell).join(" | ")} |`).join("\n");
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Small text helpers for the run-store commands' human output (stderr). */
import { fixed, MISSING } from "@tessera/shared";

export { pct } from "@tessera/shared";

/** Left-aligned columns separated by two spaces; numbers are right-aligned. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? "").length)));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((r) => typeof r[c] === "number" || r[c] === MISSING));
  return cells
    .map((r) => r.map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join("  "))
    .map((line) => line.trimEnd())
    .join("\n");
}

/** A fixed number of decimals, or {@link MISSING}. */
export const num = fixed;

/** One JSON document on stdout (the `--json` contract). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Human text goes to stderr (DESIGN.md's CLI contract), so stdout stays for `--json`. */
export function say(text: string): void {
  process.stderr.write(`${text}\n`);
}

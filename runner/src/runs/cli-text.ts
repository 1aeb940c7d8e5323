/** Small text helpers for the run-store commands' human output (stderr). */

/** Left-aligned columns separated by two spaces; numbers are right-aligned. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? "").length)));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((r) => typeof r[c] === "number" || r[c] === "-"));
  return cells
    .map((r) => r.map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join("  "))
    .map((line) => line.trimEnd())
    .join("\n");
}

/** `0.9875` -> `98.75%`, null -> `-`. */
export function pct(value: number | null | undefined): string {
  return value === null || value === undefined ? "-" : `${(value * 100).toFixed(2)}%`;
}

/** A fixed number of decimals, or `-`. */
export function num(value: number | null | undefined, digits = 4): string {
  return value === null || value === undefined || !Number.isFinite(value) ? "-" : value.toFixed(digits);
}

/** One JSON document on stdout (the `--json` contract). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Human text goes to stderr (DESIGN.md's CLI contract), so stdout stays for `--json`. */
export function say(text: string): void {
  process.stderr.write(`${text}\n`);
}

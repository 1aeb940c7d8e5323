/**
 * How every surface (CLI tables, report.md, diff, the dashboard) prints a value that is not there,
 * and the one percentage format. An em dash, not a hyphen: in columns of signed deltas a hyphen
 * reads as a minus sign.
 */
export const MISSING = "—";

/** `0.97416` -> `97.42%`; null or undefined -> {@link MISSING}. */
export function pct(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined ? MISSING : `${(value * 100).toFixed(digits)}%`;
}

/** A number with fixed decimals; null, undefined or not finite -> {@link MISSING}. */
export function fixed(value: number | null | undefined, digits = 4): string {
  return value === null || value === undefined || !Number.isFinite(value) ? MISSING : value.toFixed(digits);
}

/** `value` as text, or {@link MISSING} when it is null, undefined or empty. */
export function orMissing(value: string | number | null | undefined): string {
  return value === null || value === undefined || value === "" ? MISSING : String(value);
}

/** Small display helpers shared by the pages; missing values print as the shared MISSING. */
import { MISSING, pct as sharedPct } from "@tessera/shared/format";

export { MISSING };

/** A percentage with one decimal (the pages' density), MISSING when absent. */
export function pct(v: number | null | undefined, digits = 1): string {
  return sharedPct(v, digits);
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return MISSING;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

export function num(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined ? MISSING : Number(v.toPrecision(digits)).toString();
}

export function value(v: unknown): string {
  if (v === undefined) return "∅";
  if (typeof v === "number") return String(Number(v.toPrecision(6)));
  return typeof v === "string"
    ? v
    : JSON.stringify(v, (_k, x: unknown) => (typeof x === "number" ? Number(x.toPrecision(6)) : x));
}

/**
 * A sweep's charts as hand-written SVG, like the run report's (../report/svg-line.ts says why):
 * parallel coordinates (one axis per parameter and one for the objective, a line per trial, the
 * best one drawn last and strong) and objective-vs-parameter scatter plots.
 */
import type { DistributionConfig, TrialRow } from "@tessera/shared";
import { escapeHtml as esc } from "../report/format";
import { r1 } from "../report/svg-line";

/** Where a value sits on a parameter's axis, 0..1: log scale for log_uniform, index for values. */
export function axisPosition(dist: DistributionConfig, value: unknown): number {
  if (dist.values) {
    const i = dist.values.findIndex((v) => JSON.stringify(v) === JSON.stringify(value));
    return dist.values.length === 1 ? 0.5 : Math.max(0, i) / (dist.values.length - 1);
  }
  const range = dist.uniform ?? dist.int_uniform ?? dist.log_uniform;
  if (!range || typeof value !== "number") return 0.5;
  const f = dist.log_uniform ? Math.log : (x: number) => x;
  const [lo, hi] = [f(range[0]), f(range[1])];
  return hi === lo ? 0.5 : (f(value) - lo) / (hi - lo);
}

const label = (v: unknown) => (typeof v === "number" ? String(Number(v.toPrecision(3))) : JSON.stringify(v));

export function parallelCoordinates(
  rows: readonly TrialRow[],
  parameters: Record<string, DistributionConfig>,
  metric: string,
  best: number | null,
): string {
  const names = Object.keys(parameters);
  const W = 160 * (names.length + 1);
  const H = 320;
  const top = 40;
  const bottom = H - 40;
  const x = (i: number) => 60 + (i * (W - 120)) / names.length;
  const y = (p: number) => bottom - p * (bottom - top);
  const scored = rows.filter((r) => r.objective !== null);
  const values = scored.map((r) => r.objective!);
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  const objPos = (v: number) => (hi === lo ? 0.5 : (v - lo) / (hi - lo));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">Trials: parameters and ${esc(metric)}</text>`,
  ];
  [...names, metric].forEach((name, i) => {
    parts.push(`<line x1="${r1(x(i))}" y1="${top}" x2="${r1(x(i))}" y2="${bottom}" stroke="#999"/>`);
    parts.push(`<text x="${r1(x(i))}" y="${H - 20}" text-anchor="middle">${esc(name)}</text>`);
  });
  names.forEach((name, i) => {
    const d = parameters[name]!;
    const ends = d.values ? [d.values[0], d.values.at(-1)] : (d.uniform ?? d.int_uniform ?? d.log_uniform ?? []);
    parts.push(`<text x="${r1(x(i) + 4)}" y="${bottom}" fill="#666">${esc(label(ends[0]))}</text>`);
    parts.push(`<text x="${r1(x(i) + 4)}" y="${top + 8}" fill="#666">${esc(label(ends[1]))}</text>`);
  });
  if (values.length > 0) {
    parts.push(`<text x="${r1(x(names.length) + 4)}" y="${bottom}" fill="#666">${lo.toFixed(4)}</text>`);
    parts.push(`<text x="${r1(x(names.length) + 4)}" y="${top + 8}" fill="#666">${hi.toFixed(4)}</text>`);
  }
  const ordered = [...scored.filter((r) => r.trial !== best), ...scored.filter((r) => r.trial === best)];
  for (const r of ordered) {
    const pts = [
      ...names.map((n, i) => [x(i), y(axisPosition(parameters[n]!, r.params[n]))]),
      [x(names.length), y(objPos(r.objective!))],
    ];
    const strong = r.trial === best;
    parts.push(
      `<polyline fill="none" stroke="${strong ? "#d62728" : "#1f77b4"}" stroke-opacity="${strong ? 1 : 0.5}" stroke-width="${strong ? 2.5 : 1.2}" points="${pts.map(([a, b]) => `${r1(a!)},${r1(b!)}`).join(" ")}"><title>trial ${r.trial}: ${r.objective!.toFixed(4)}</title></polyline>`,
    );
  }
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

/** The objective against one parameter, a dot per trial (log x axis for log_uniform). */
export function objectiveScatter(
  rows: readonly TrialRow[],
  name: string,
  dist: DistributionConfig,
  metric: string,
): string {
  const W = 420;
  const H = 280;
  const [left, right, top, bottom] = [60, W - 20, 30, H - 40];
  const scored = rows.filter((r) => r.objective !== null);
  const values = scored.map((r) => r.objective!);
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  const y = (v: number) => (hi === lo ? (top + bottom) / 2 : bottom - ((v - lo) / (hi - lo)) * (bottom - top));
  const x = (v: unknown) => left + axisPosition(dist, v) * (right - left);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">${esc(metric)} vs ${esc(name)}${dist.log_uniform ? " (log)" : ""}</text>`,
    `<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#999"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#999"/>`,
  ];
  if (values.length > 0) {
    parts.push(`<text x="${left - 4}" y="${bottom}" text-anchor="end">${lo.toFixed(3)}</text>`);
    parts.push(`<text x="${left - 4}" y="${top + 8}" text-anchor="end">${hi.toFixed(3)}</text>`);
  }
  for (const r of scored) {
    parts.push(
      `<circle cx="${r1(x(r.params[name]))}" cy="${r1(y(r.objective!))}" r="4" fill="#1f77b4"><title>trial ${r.trial}: ${esc(label(r.params[name]))} -> ${r.objective!.toFixed(4)}</title></circle>`,
    );
  }
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

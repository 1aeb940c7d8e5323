/**
 * Line charts as hand-written SVG. Why SVG by hand rather than chart.js on @napi-rs/canvas (PNG):
 * the charts are a few polylines and a grid; SVG text is light (a few KB), diffable in git,
 * deterministic byte for byte across machines (golden tests, no font rasterization), scales
 * crisply, inlines into the self-contained HTML report, and needs no native module. GitHub renders
 * committed SVG images in Markdown.
 */
import { escapeHtml as esc } from "./format";

export interface Series {
  name: string;
  points: [number, number][];
  color: string;
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Base-10 log x axis (LR finder). */
  xLog?: boolean;
  /** Fixed y range, e.g. [0, 1] for accuracy; otherwise from the data. */
  yRange?: [number, number];
  /** Vertical markers: stage boundaries, the chosen LR. */
  markers?: { x: number; label: string; strong?: boolean }[];
  /** Corner of the legend; bottom for curves that rise to the top right (accuracy). */
  legend?: "top" | "bottom";
  /** Put marker labels on successive lines (markers that may sit close together). */
  staggerMarkers?: boolean;
  width?: number;
  height?: number;
}

/** Rounds a coordinate so output is short and identical across machines. */
export const r1 = (v: number) => String(Math.round(v * 10) / 10);

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function tickLabel(v: number, log: boolean): string {
  if (log) return `1e${Math.round(Math.log10(v))}`;
  return Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 0.01) ? v.toExponential(0) : String(v);
}

/** A line chart: axes, grid, ticks, one polyline per series, legend, vertical markers. */
export function lineChart(o: LineChartOptions): string {
  const W = o.width ?? 640;
  const H = o.height ?? 360;
  const pad = { l: 60, r: 20, t: 36, b: 48 };
  const fx = (x: number) => (o.xLog ? Math.log10(x) : x);
  const pts = o.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(fx(x)) && Number.isFinite(y));
  const xs = [...pts.map(([x]) => fx(x)), ...(o.markers ?? []).map((m) => fx(m.x))];
  let [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  let [y0, y1] =
    o.yRange ?? (pts.length ? [Math.min(...pts.map((p) => p[1])), Math.max(...pts.map((p) => p[1]))] : [0, 1]);
  if (y1 === y0) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const sx = (x: number) => pad.l + ((fx(x) - x0) / (x1 - x0)) * (W - pad.l - pad.r);
  const sy = (y: number) => H - pad.b - ((y - y0) / (y1 - y0)) * (H - pad.t - pad.b);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<title>${esc(o.title)}</title>`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(o.title)}</text>`,
  ];
  const yTicks = niceTicks(y0, y1);
  for (const t of yTicks) {
    out.push(`<line x1="${pad.l}" x2="${W - pad.r}" y1="${r1(sy(t))}" y2="${r1(sy(t))}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${pad.l - 6}" y="${r1(sy(t) + 4)}" text-anchor="end">${tickLabel(t, false)}</text>`);
  }
  const xTicks = o.xLog
    ? niceTicks(Math.ceil(x0), Math.floor(x1), Math.max(1, Math.floor(x1) - Math.ceil(x0))).map((e) => 10 ** e)
    : niceTicks(x0, x1, Math.min(8, Math.max(1, Math.round(x1 - x0))));
  for (const t of xTicks) {
    out.push(`<line x1="${r1(sx(t))}" x2="${r1(sx(t))}" y1="${pad.t}" y2="${H - pad.b}" stroke="#f0f0f0"/>`);
    out.push(
      `<text x="${r1(sx(t))}" y="${H - pad.b + 16}" text-anchor="middle">${tickLabel(t, Boolean(o.xLog))}</text>`,
    );
  }
  out.push(
    `<rect x="${pad.l}" y="${pad.t}" width="${W - pad.l - pad.r}" height="${H - pad.t - pad.b}" fill="none" stroke="#888"/>`,
    `<text x="${W / 2}" y="${H - 8}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    `<text x="14" y="${H / 2}" text-anchor="middle" transform="rotate(-90 14 ${H / 2})">${esc(o.yLabel)}</text>`,
  );
  for (const [i, m] of (o.markers ?? []).entries()) {
    const x = r1(sx(m.x));
    const [stroke, dash, ink] = m.strong ? ["#d62728", "", "#d62728"] : ["#999", ` stroke-dasharray="2 3"`, "#666"];
    out.push(`<line class="marker" x1="${x}" x2="${x}" y1="${pad.t}" y2="${H - pad.b}" stroke="${stroke}"${dash}/>`);
    out.push(
      `<text x="${x}" y="${pad.t + 12 + (o.staggerMarkers ? i * 12 : 0)}" dx="3" fill="${ink}">${esc(m.label)}</text>`,
    );
  }
  const legendW = 34 + 6.5 * Math.max(0, ...o.series.map((s) => s.name.length));
  const lx = W - pad.r - legendW - 6;
  const legendH = o.series.length * 15 + 6;
  const legendTop = o.legend === "bottom" ? H - pad.b - legendH - 4 : pad.t + 4;
  const legend: string[] = [
    `<rect x="${r1(lx - 4)}" y="${legendTop}" width="${r1(legendW + 4)}" height="${legendH}" fill="#ffffff" fill-opacity="0.85"/>`,
  ];
  o.series.forEach((s, i) => {
    const valid = s.points.filter(([x, y]) => Number.isFinite(fx(x)) && Number.isFinite(y));
    const d = valid.map(([x, y]) => `${r1(sx(x))},${r1(sy(y))}`).join(" ");
    const dash = s.dashed ? ` stroke-dasharray="6 4"` : "";
    out.push(
      `<polyline class="series" data-name="${esc(s.name)}" points="${d}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`,
    );
    if (valid.length <= 40) {
      for (const [x, y] of valid) out.push(`<circle cx="${r1(sx(x))}" cy="${r1(sy(y))}" r="2.5" fill="${s.color}"/>`);
    }
    const ly = legendTop + 14 + i * 15;
    legend.push(
      `<line x1="${r1(lx)}" x2="${r1(lx + 20)}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${dash}/>`,
      `<text x="${r1(lx + 26)}" y="${ly}">${esc(s.name)}</text>`,
    );
  });
  out.push(...legend);
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

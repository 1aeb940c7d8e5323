/**
 * A small text chart of an LR-finder curve for the terminal: smoothed loss (y) against log10 LR
 * (x), with the suggestions marked underneath. Hand-written: a 60x12 character grid needs no
 * plotting library.
 */
import type { LrPoint } from "../../train";

/** Renders `points` as `height` rows of `width` cells plus an axis line; `marks` label LRs on the axis. */
export function lrChart(points: LrPoint[], marks: Record<string, number> = {}, width = 60, height = 12): string {
  if (points.length === 0) return "(no points)";
  const xs = points.map((p) => Math.log10(p.lr));
  const ys = points.map((p) => p.smoothed);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  // Clip the diverging tail so the interesting part is not squashed flat.
  const yMin = Math.min(...ys);
  const yMax = Math.min(Math.max(...ys), yMin + 3 * (ys[0]! - yMin || 1));
  const col = (x: number) => (x1 === x0 ? 0 : Math.round(((x - x0) / (x1 - x0)) * (width - 1)));
  const row = (y: number) =>
    yMax === yMin ? height - 1 : height - 1 - Math.round(((Math.min(y, yMax) - yMin) / (yMax - yMin)) * (height - 1));
  const grid = Array.from({ length: height }, () => new Array<string>(width).fill(" "));
  points.forEach((p, i) => {
    grid[row(ys[i]!)]![col(xs[i]!)] = "•";
  });
  const label = (v: number) => v.toPrecision(3).padStart(8);
  const lines = grid.map((cells, r) => {
    const tick = r === 0 ? label(yMax) : r === height - 1 ? label(yMin) : " ".repeat(8);
    return `${tick} |${cells.join("")}`;
  });
  const axis = new Array<string>(width).fill("-");
  const names: string[] = [];
  const used = new Set<string>();
  for (const [name, lr] of Object.entries(marks)) {
    // The first letter of the name not taken yet: steep -> S, slide -> L.
    const letter = [...name.toUpperCase()].find((ch) => !used.has(ch)) ?? "?";
    used.add(letter);
    const c = Math.max(0, Math.min(width - 1, col(Math.log10(lr))));
    axis[c] = letter;
    names.push(`${letter}=${name} ${lr.toExponential(2)}`);
  }
  lines.push(`${" ".repeat(8)} +${axis.join("")}`);
  lines.push(
    `${" ".repeat(10)}${points[0]!.lr.toExponential(0)}${" ".repeat(Math.max(1, width - 12))}${points.at(-1)!.lr.toExponential(0)}  (LR, log scale)`,
  );
  if (names.length > 0) lines.push(`${" ".repeat(10)}${names.join("  ")}`);
  return lines.join("\n");
}

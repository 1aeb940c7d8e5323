/**
 * The confusion matrix as an SVG heatmap (hand-written for the reasons in svg-line.ts). Colour is
 * the row-normalized share (recall for the diagonal), so rare classes read as clearly as common
 * ones; the count is printed in each non-empty cell. Every cell is a `<rect class="cell">` with
 * `data-true`/`data-pred`/`data-count`, which tests and scripts can read back.
 */
import { escapeHtml as esc } from "./format";
import { r1 } from "./svg-line";

/** White -> blue (diagonal) or white -> red (errors) by share in [0, 1]. */
function colour(share: number, diagonal: boolean): string {
  const [r, g, b] = diagonal ? [33, 102, 172] : [214, 39, 40];
  const mix = (c: number) => Math.round(255 + (c - 255) * Math.min(1, Math.max(0, share)));
  return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
}

/** An N x N heatmap of `matrix` (rows = true class, cols = predicted). */
export function confusionHeatmap(title: string, classes: string[], matrix: number[][]): string {
  const n = classes.length;
  const cellSize = Math.max(12, Math.min(40, Math.floor(520 / Math.max(1, n))));
  const labelW = 12 + 7 * Math.min(16, Math.max(...classes.map((c) => c.length), 1));
  const left = labelW + 24;
  const top = 56 + labelW;
  const W = Math.max(left + n * cellSize + 20, Math.ceil(7.5 * title.length) + 40);
  const H = top + n * cellSize + 20;
  const fontSize = Math.max(7, Math.min(12, Math.floor(cellSize / 3)));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
    `<text x="${left + (n * cellSize) / 2}" y="40" text-anchor="middle">predicted</text>`,
    `<text x="14" y="${top + (n * cellSize) / 2}" text-anchor="middle" transform="rotate(-90 14 ${top + (n * cellSize) / 2})">true</text>`,
  ];
  classes.forEach((cls, i) => {
    const label = esc(cls.length > 16 ? `${cls.slice(0, 15)}…` : cls);
    const cx = r1(left + i * cellSize + cellSize / 2);
    out.push(
      `<text x="${left - 6}" y="${r1(top + i * cellSize + cellSize / 2 + 4)}" text-anchor="end">${label}</text>`,
    );
    out.push(
      `<text x="${cx}" y="${top - 6}" text-anchor="start" transform="rotate(-90 ${cx} ${top - 6})" dy="4">${label}</text>`,
    );
  });
  classes.forEach((actual, i) => {
    const row = matrix[i] ?? [];
    const total = row.reduce((s, x) => s + x, 0);
    classes.forEach((predicted, j) => {
      const count = row[j] ?? 0;
      const share = total ? count / total : 0;
      const x = left + j * cellSize;
      const y = top + i * cellSize;
      out.push(
        `<rect class="cell" data-true="${esc(actual)}" data-pred="${esc(predicted)}" data-count="${count}" x="${x}" y="${y}" width="${cellSize}" height="${cellSize}" fill="${count ? colour(share, i === j) : "#ffffff"}" stroke="#dddddd"/>`,
      );
      if (count > 0 && cellSize >= 16) {
        const ink = share > 0.55 ? "#ffffff" : "#222222";
        out.push(
          `<text x="${r1(x + cellSize / 2)}" y="${r1(y + cellSize / 2 + fontSize / 3)}" text-anchor="middle" font-size="${fontSize}" fill="${ink}">${count}</text>`,
        );
      }
    });
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { marked, type Token, type Tokens } from "marked";
import { describe, expect, it } from "vitest";
import { writeReport } from "./report";
import { imageSize } from "./svg-check";
import { loadRunSide } from "./run-side";
import { writeFakeRun } from "./test-runs";

const runsDir = mkdtempSync(join(tmpdir(), "tessera-report-"));

function walk(tokens: Token[], out: Token[] = []): Token[] {
  for (const t of tokens) {
    out.push(t);
    const children = (t as { tokens?: Token[] }).tokens;
    if (children) walk(children, out);
    if (t.type === "table")
      for (const row of [(t as Tokens.Table).header, ...(t as Tokens.Table).rows])
        for (const c of row) walk(c.tokens, out);
  }
  return out;
}

describe("tessera report", async () => {
  const classes = ["A", "B", "C", "D", "E"];
  const run = await loadRunSide(await writeFakeRun({ runsDir, id: "rep-a", classes, lrFind: true }));
  const base = await loadRunSide(await writeFakeRun({ runsDir, id: "rep-b", classes, splitHash: "other" }));

  it("writes Markdown with a table, collapsed config and image links to files that exist", () => {
    const out = join(runsDir, "out-md");
    const { file, charts } = writeReport({ run, outDir: out });
    const md = readFileSync(file, "utf8");
    const tokens = walk(marked.lexer(md));
    expect(tokens.filter((t) => t.type === "table").length).toBeGreaterThanOrEqual(3);
    const html = tokens
      .filter((t) => t.type === "html")
      .map((t) => t.raw)
      .join("");
    expect(html).toContain("<details>");
    expect(html).toContain("<summary>Config");
    const images = tokens.filter((t): t is Tokens.Image => t.type === "image").map((t) => t.href);
    expect(images.sort()).toEqual([
      "charts/accuracy.svg",
      "charts/confusion.svg",
      "charts/loss.svg",
      "charts/lr-find-fine-tune.svg",
      "charts/lr-find-head.svg",
    ]);
    for (const href of images) expect(existsSync(join(dirname(file), href))).toBe(true);
    expect(charts).toHaveLength(5);
  });

  it("draws valid SVG charts, the heatmap with one cell per class pair", async () => {
    const out = join(runsDir, "out-svg");
    const { charts } = writeReport({ run, outDir: out });
    for (const file of charts) {
      // Skia's SVG parser refuses malformed XML; rendering proves the file is a usable image.
      const image = await imageSize(readFileSync(file));
      expect(image.width).toBeGreaterThan(100);
    }
    const heat = readFileSync(join(out, "charts", "confusion.svg"), "utf8");
    const cells = [...heat.matchAll(/<rect class="cell" data-true="([^"]+)" data-pred="([^"]+)" data-count="(\d+)"/g)];
    expect(cells).toHaveLength(classes.length ** 2);
    expect(new Set(cells.map((c) => c[1]))).toEqual(new Set(classes));
    expect(cells.find((c) => c[1] === "E" && c[2] === "A")?.[3]).toBe("1");
  });

  it("compares against a baseline and warns about a different split", () => {
    const { file } = writeReport({ run, baseline: base, outDir: join(runsDir, "out-vs") });
    const md = readFileSync(file, "utf8");
    expect(md).toContain("| metric | this run | baseline | Δ |");
    expect(md).toMatch(/> \[!WARNING\]\n> the runs used different data splits/);
    expect(readFileSync(join(runsDir, "out-vs", "charts", "accuracy.svg"), "utf8")).toContain(
      'data-name="baseline valid accuracy"',
    );
  });

  it("writes one self-contained HTML file with inline SVG and no network references", () => {
    const { file, charts } = writeReport({ run, outDir: join(runsDir, "out-html"), format: "html" });
    expect(charts).toEqual([]);
    const html = readFileSync(file, "utf8");
    expect(html.match(/<svg /g)).toHaveLength(5);
    expect(html).not.toMatch(/<img |<script|<link |src="http|href="http/);
    expect(html).toContain("<details>");
  });
});

describe("tessera report --out", async () => {
  const run = await loadRunSide(await writeFakeRun({ runsDir, id: "rep-out" }));

  it("naming a file is a clear error, not a stack trace (it was EEXIST from mkdir)", () => {
    const file = join(runsDir, "rep-out", "config.yaml");
    expect(existsSync(file)).toBe(true);
    expect(() => writeReport({ run, outDir: file })).toThrow(/config\.yaml: is a file, not a folder/);
  });
});

describe("tessera report on a run that has not finished an epoch", async () => {
  const run = await loadRunSide(await writeFakeRun({ runsDir, id: "rep-empty", accuracy: [[], []], unfinished: true }));

  it("still writes a report that says so", () => {
    const { file, charts } = writeReport({ run, outDir: join(runsDir, "out-empty") });
    const md = readFileSync(file, "utf8");
    expect(md).toContain("has no finished epoch yet");
    expect(md).toContain("The run is **interrupted**");
    expect(md).toContain("No confusion matrix yet.");
    expect(charts).toEqual([]);
  });
});

describe("tessera report on a k-fold run", async () => {
  const side = await loadRunSide(await writeFakeRun({ runsDir, id: "rep-kfold" }));
  const folds = [
    { fold: 0, valid_accuracy: 0.9 },
    { fold: 1, valid_accuracy: 0.8 },
  ];
  const run = { ...side, metrics: { ...side.metrics, folds, best: { ...side.metrics.best!, value: 0.85 } } };

  it("gives the mean over folds and a per-fold table", () => {
    const md = readFileSync(writeReport({ run, outDir: join(runsDir, "out-kfold") }).file, "utf8");
    expect(md).toContain("a mean validation accuracy over 2 folds of 85.00%");
    expect(md).toContain("| fold | valid accuracy |\n| ---: | ---: |\n| 0 | 90.00% |\n| 1 | 80.00% |");
    // The metrics table leads with the protocol's number and labels the last fold's as such.
    expect(md).toContain("| valid accuracy, final epoch: mean ± std over 2 folds | 85.00% ± 5.00% |");
    expect(md).toContain("| last fold: final valid accuracy |");
    expect(md).not.toContain("TTA accuracy: mean");
  });

  it("adds the TTA mean ± std and a TTA column when every fold has one", () => {
    const withTta = folds.map((f, i) => ({ ...f, tta_accuracy: [1, 0.9][i]! }));
    const md = readFileSync(
      writeReport({
        run: { ...run, metrics: { ...run.metrics, folds: withTta } },
        outDir: join(runsDir, "out-kfold-tta"),
      }).file,
      "utf8",
    );
    expect(md).toContain("| TTA accuracy: mean ± std over 2 folds | 95.00% ± 5.00% |");
    expect(md).toContain("| fold | valid accuracy | with TTA |");
    expect(md).toContain("| 1 | 80.00% | 90.00% |");
  });
});

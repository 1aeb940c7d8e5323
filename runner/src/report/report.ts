/**
 * `tessera report` as an API: writes report.md plus its chart files, or one self-contained
 * report.html (the same content through `marked`, every chart inlined as SVG, no network).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ensureOutDir } from "../out-dir";
import { Marked } from "marked";
import { reportCharts } from "./charts";
import { diffLoaded } from "./diff";
import { escapeHtml } from "./format";
import { redactPaths } from "./redact-paths";
import { renderReportMarkdown } from "./report-md";
import type { RunSide } from "./run-side";

export interface ReportOptions {
  run: RunSide;
  baseline?: RunSide | null;
  /** Output folder; created if missing. */
  outDir: string;
  format?: "md" | "html";
}

export interface ReportOutput {
  /** report.md or report.html. */
  file: string;
  /** Chart files written beside report.md (none for html: they are inline). */
  charts: string[];
}

/** Folder of the chart files, relative to report.md. */
export const CHARTS_DIR = "charts";

/** Writes the report; returns what it wrote. */
export function writeReport(opts: ReportOptions): ReportOutput {
  const { run } = opts;
  const baseline = opts.baseline ?? null;
  const outDir = resolve(opts.outDir);
  ensureOutDir(outDir);
  const diff = baseline ? diffLoaded(baseline, run) : null;
  const charts = reportCharts(run.metrics, baseline?.metrics ?? null, {
    run: "this run",
    baseline: baseline ? "baseline" : "",
  });
  // Absolute machine paths (data.path, a config file given by path) are written relative or as ~.
  const markdown = redactPaths(renderReportMarkdown({ run, baseline, diff, charts, chartsDir: CHARTS_DIR }));
  if ((opts.format ?? "md") === "md") {
    mkdirSync(join(outDir, CHARTS_DIR), { recursive: true });
    const files = charts.map((c) => {
      const file = join(outDir, CHARTS_DIR, c.file);
      writeFileSync(file, c.svg);
      return file;
    });
    const file = join(outDir, "report.md");
    writeFileSync(file, markdown);
    return { file, charts: files };
  }
  const file = join(outDir, "report.html");
  writeFileSync(
    file,
    renderReportHtml(markdown, new Map(charts.map((c) => [`${CHARTS_DIR}/${c.file}`, c.svg])), run.meta.id),
  );
  return { file, charts: [] };
}

const STYLE = `body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#1f2328;line-height:1.5}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #d0d7de;padding:4px 10px}th{background:#f6f8fa}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:90%}pre{background:#f6f8fa;padding:1em;overflow:auto}
blockquote{border-left:4px solid #d29922;margin:1em 0;padding:.2em 1em;background:#fff8c5}.chart{display:block;margin:1em 0}svg{max-width:100%;height:auto}`;

/** The only raw HTML report.md writes itself; any other tag in the Markdown is shown as text. */
const OWN_TAGS = /<\/?(?:details|summary|code)>/g;

/**
 * `marked` passes raw HTML through by design. report-md.ts escapes every value it interpolates,
 * and this instance is the second line: a raw HTML token that is not made only of the report's own
 * tags is escaped, and a link or image may only point at a relative path or http(s).
 */
const reportMarked = new Marked({
  renderer: {
    html({ text }) {
      return text.replace(OWN_TAGS, "").includes("<") ? escapeHtml(text) : text;
    },
  },
  walkTokens(token) {
    if ((token.type === "link" || token.type === "image") && !safeHref(token.href)) token.href = "#";
  },
});

function safeHref(href: string): boolean {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(href.trim())?.[1]?.toLowerCase();
  return scheme === undefined || scheme === "http" || scheme === "https";
}

/** One HTML file: the Markdown rendered, chart images replaced by their inline SVG. */
export function renderReportHtml(markdown: string, svgs: Map<string, string>, title: string): string {
  // GitHub's alert syntax is not Markdown proper; keep its text as a plain blockquote.
  const body = (
    reportMarked.parse(markdown.replace(/^> \[!WARNING\]\n/gm, "> **Warning**\n"), { async: false }) as string
  ).replace(/<img src="([^"]+)" alt="([^"]*)"\s*\/?>/g, (tag, src: string, alt: string) => {
    const svg = svgs.get(src);
    return svg === undefined ? tag : `<span class="chart" role="img" aria-label="${alt}">${svg}</span>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tessera report ${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}</body>
</html>
`;
}

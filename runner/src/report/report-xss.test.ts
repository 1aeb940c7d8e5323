/**
 * Hostile names in a run (class names from folder names, stage and group names, the run name) are
 * shown as text in report.md and report.html, never as markup: the Markdown rendered by a
 * pass-through renderer (as any viewer would) creates no element from them, and report.html
 * escapes them too.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { marked } from "marked";
import { describe, expect, it } from "vitest";
import { renderReportHtml, writeReport } from "./report";
import { loadRunSide } from "./run-side";
import { sampleConfig, writeFakeRun } from "./test-runs";

const IMG = "<img src=x onerror=alert(1)>";
const SCRIPT = "<script>alert(1)</script>";
const LINK = "b](javascript:alert(1)) `x` [c";
const classes = [IMG, SCRIPT, LINK, "plain"];
/**
 * The elements of an HTML text that a label could have smuggled in: a script, an image other than
 * a chart, an event handler or a script URL in any tag. Escaped text has `&lt;` and is no tag.
 */
function smuggled(html: string): string[] {
  return [...html.matchAll(/<([a-zA-Z][\w-]*)([^>]*)>/g)]
    .filter(([, name, attrs]) => {
      const tag = name!.toLowerCase();
      const unquoted = attrs!.replace(/"[^"]*"|'[^']*'/g, '""');
      if (tag === "script" || /\son\w+\s*=/i.test(unquoted)) return true;
      if (/\b(?:href|src)\s*=\s*["']?\s*javascript:/i.test(attrs!)) return true;
      return tag === "img" && !/^ src="(?:charts\/[\w.-]+\.svg|#)"/.test(attrs!);
    })
    .map(([tag]) => tag);
}

describe("report escaping", async () => {
  const runsDir = mkdtempSync(join(tmpdir(), "tessera-xss-"));
  const config = sampleConfig((c) => {
    c.name = SCRIPT;
    c.train.stages[1]!.name = IMG;
    c.model.groups = { [SCRIPT]: ["stem", "conv2", "conv3"], late: ["conv4", "conv5"], head: ["head"] };
    c.train.stages[1]!.trainable = [SCRIPT, "late", "head"];
  });
  const confusion = [
    [5, 3, 2, 0],
    [4, 6, 0, 0],
    [0, 1, 9, 0],
    [0, 0, 0, 10],
  ];
  const run = await loadRunSide(await writeFakeRun({ runsDir, id: "xss-run", classes, config, confusion }));
  const base = await loadRunSide(await writeFakeRun({ runsDir, id: "xss-base", classes, config }));

  it("report.md: every label is text, and a pass-through Markdown renderer makes no element of it", () => {
    const { file } = writeReport({ run, baseline: base, outDir: join(runsDir, "md") });
    const mdText = readFileSync(file, "utf8");
    const html = marked.parse(mdText, { async: false }) as string;
    expect(smuggled(html)).toEqual([]);
    // Shown, not dropped: as escaped text in the summary, the tables and the stage list.
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("b](javascript:alert(1))");
  });

  it("report.html: every label is escaped", () => {
    const { file } = writeReport({ run, baseline: base, outDir: join(runsDir, "html"), format: "html" });
    const html = readFileSync(file, "utf8");
    expect(smuggled(html)).toEqual([]);
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("report.html escapes raw HTML and script links in Markdown it did not write itself", () => {
    const html = renderReportHtml(
      `<details>\n<summary>ok</summary>\n\n${IMG}\n\n${SCRIPT}\n\n[x](javascript:alert(1)) ![y](JaVaScRiPt:alert(1))\n\n</details>\n`,
      new Map(),
      SCRIPT,
    );
    expect(smuggled(html)).toEqual([]);
    expect(html).toContain("<details>");
    expect(html).toContain("<summary>ok</summary>");
    expect(html).toContain('<a href="#">x</a>');
  });
});

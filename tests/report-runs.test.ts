/**
 * `tessera diff` and `tessera report` on run folders made by real short training runs
 * (runExperiment on tests/fixtures/report/tiny.yaml: seeded synthetic tiles, a tiny ResNet18, an
 * LR-finder stage and a fine-tune stage), through the CLI entry point where exit codes matter.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { marked, type Token, type Tokens } from "marked";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../runner/src/cli/main";
import { imageSize } from "../runner/src/report/svg-check";
import { runExperiment } from "../runner/src/train";
import { IN_CI, REPO_ROOT } from "./helpers/paths";

const CONFIG = join(REPO_ROOT, "tests", "fixtures", "report", "tiny.yaml");
const GOLDEN = join(REPO_ROOT, "tests", "fixtures", "report", "tiny.report.md");
const work = mkdtempSync(join(tmpdir(), "tessera-report-runs-"));
const runsDir = join(work, "runs");
const dirs: Record<"base" | "lr" | "split", string> = { base: "", lr: "", split: "" };

/** Runs the CLI in-process; returns exit code and what it printed. */
async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((s) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((s) => ((stderr += String(s)), true));
  const code = await main(argv);
  vi.restoreAllMocks();
  return { code, stdout, stderr };
}
afterEach(() => vi.restoreAllMocks());

function walk(tokens: Token[], out: Token[] = []): Token[] {
  for (const t of tokens) {
    out.push(t);
    const children = (t as { tokens?: Token[] }).tokens;
    if (children) walk(children, out);
    if (t.type === "table") {
      const table = t as Tokens.Table;
      for (const row of [table.header, ...table.rows]) for (const c of row) walk(c.tokens, out);
    }
  }
  return out;
}

beforeAll(async () => {
  const run = (set: string[]) => runExperiment({ configFile: CONFIG, runsDir, cacheDir: false, set });
  dirs.base = (await run([])).runDir;
  // Same experiment except one stage's LR range.
  dirs.lr = (await run(["train.stages[1].lr.min=3e-4"])).runDir;
  // Same experiment on a different validation split.
  dirs.split = (await run(["data.split.seed=8"])).runDir;
}, 600_000);

describe("tessera diff on real runs", () => {
  it("names exactly the path of the stage whose LR range changed", async () => {
    const { code, stdout } = await cli("diff", dirs.base, dirs.lr, "--format", "json");
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as {
      config: { path: string; before: number; after: number }[];
      warnings: string[];
    };
    expect(result.config.map((c) => c.path)).toEqual(["train.stages[fine-tune].lr.min"]);
    expect(result.config[0]).toMatchObject({ before: 1e-4, after: 3e-4 });
    // Not `toEqual([])`: in a shared checkout the commit can move between the runs (a real warning).
    expect(result.warnings.filter((w) => /split|data|classes/.test(w))).toEqual([]);
  });

  it("reports metric deltas in text and Markdown", async () => {
    const text = await cli("diff", dirs.base, dirs.lr);
    expect(text.stdout).toContain("train.stages[fine-tune].lr.min: 1e-4 → 3e-4");
    expect(text.stdout).toMatch(/best valid accuracy\s+\d+\.\d\d% →\s+\d+\.\d\d%/);
    const md = (await cli("diff", dirs.base, dirs.lr, "--format", "md")).stdout;
    const tables = marked.lexer(md).filter((t): t is Tokens.Table => t.type === "table");
    expect(tables.map((t) => t.header.map((h) => h.text).join(","))).toEqual(["path,a,b", "metric,a,b,Δ"]);
  });

  it("warns when the two runs used different data splits", async () => {
    const { code, stdout } = await cli("diff", dirs.base, dirs.split);
    expect(code).toBe(0);
    expect(stdout).toMatch(/warning: the runs used different data splits \(split hash \w+ vs \w+\)/);
    expect(stdout).toContain("data.split.seed: 7 → 8");
  });

  it("exits 1 when --fail-if trips, 0 when it does not, 2 when it does not parse", async () => {
    expect((await cli("diff", dirs.base, dirs.lr, "--fail-if", "valid.accuracy >= -100%")).code).toBe(1);
    expect((await cli("diff", dirs.base, dirs.lr, "--fail-if", "valid.accuracy < -100%")).code).toBe(0);
    const bad = await cli("diff", dirs.base, dirs.lr, "--fail-if", "valid.accuracy <<< 1");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("cannot parse");
  });

  it("diffs a config file against a run", async () => {
    const { code, stdout } = await cli("diff", CONFIG, dirs.lr, "--format", "json");
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { config: { path: string }[] }).config.map((c) => c.path)).toEqual([
      "train.stages[fine-tune].lr.min",
    ]);
  });
});

describe("tessera report on a real run", () => {
  it("writes Markdown that parses into a table, details and image links to files that exist", async () => {
    const out = join(work, "report-md");
    const { code } = await cli("report", dirs.base, "--out", out, "--vs", dirs.lr);
    expect(code).toBe(0);
    const md = readFileSync(join(out, "report.md"), "utf8");
    const tokens = walk(marked.lexer(md));
    expect(tokens.some((t) => t.type === "table")).toBe(true);
    expect(
      tokens
        .filter((t) => t.type === "html")
        .map((t) => t.raw)
        .join(""),
    ).toMatch(/<details>\s*<summary>Config/);
    const images = tokens.filter((t): t is Tokens.Image => t.type === "image").map((t) => t.href);
    expect(images).toEqual(
      expect.arrayContaining([
        "charts/accuracy.svg",
        "charts/loss.svg",
        "charts/lr-find-head.svg",
        "charts/confusion.svg",
      ]),
    );
    for (const href of images) {
      expect(existsSync(join(dirname(join(out, "report.md")), href))).toBe(true);
      const image = await imageSize(readFileSync(join(out, href))); // refuses malformed SVG
      expect(image.width).toBeGreaterThan(100);
    }
    const heat = readFileSync(join(out, "charts", "confusion.svg"), "utf8");
    expect(heat.match(/<rect class="cell"/g)).toHaveLength(3 * 3);
  });

  it("writes one self-contained HTML file", async () => {
    const out = join(work, "report-html");
    expect((await cli("report", dirs.base, "--out", out, "--format", "html")).code).toBe(0);
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html.match(/<svg /g)?.length).toBeGreaterThanOrEqual(4);
    expect(html).not.toMatch(/<img |<script|<link |src="http|href="http/);
  });

  it("matches the golden report.md with machine-dependent numbers masked", async () => {
    const out = join(work, "report-golden");
    expect((await cli("report", dirs.base, "--out", out)).code).toBe(0);
    const masked = maskReport(readFileSync(join(out, "report.md"), "utf8"));
    // UPDATE_GOLDEN=1 rewrites it; a missing golden is written locally but fails in CI.
    if (process.env.UPDATE_GOLDEN === "1" || (!existsSync(GOLDEN) && !IN_CI)) writeFileSync(GOLDEN, masked);
    const actual = join(work, "report.masked.md");
    writeFileSync(actual, masked);
    expect(masked, `golden mismatch: diff ${GOLDEN} ${actual}`).toBe(readFileSync(GOLDEN, "utf8"));
  });
});

/**
 * Masks what differs between machines or runs: ids, times, hashes, host, versions, and every
 * trained or timed number (accuracies, losses, per-class scores, LRs the finder chose, the best
 * epoch, durations) and the confused pairs themselves, and the config block (the loader's output).
 * Numbers that come from the config or the seeded split (sizes, epochs, class and image counts)
 * stay, as does the wording.
 */
function maskReport(md: string): string {
  const [before = "", config = "", after = ""] = md.split(/(```yaml\n[\s\S]*?\n```)/);
  const mask = (s: string) =>
    s
      .replace(/`\d{8}-\d{6}-[\w.-]+`/g, "`<run id>`")
      .replace(/\| (started|ended|host|versions|git commit|split hash|data hash) \| .* \|/g, "| $1 | <masked> |")
      .replace(
        /The most confused pair is [^()]*\([^)]*\)\.|No validation image was misclassified\./g,
        "<most confused>",
      )
      .replace(/(## Most confused pairs\n\n)[\s\S]*?\n\n(?=<details>|## )/, "$1<pairs masked>\n\n")
      .replace(/\(stage [\w-]+, epoch \d+\)/g, "(stage <best>, epoch <n>)")
      .replace(/\bin (\d+m \d+s|\d+h \d+m|\d+\.\ds) on\b/g, "in <duration> on")
      .replace(/\d+\.\d+%/g, "#%")
      .replace(/\b\d+(\.\d+)?e[+-]?\d+\b/g, "#")
      .replace(/\b\d+\.\d{2,}\b/g, "#");
  // The config block is the config loader's output (its own tests pin it): only its presence counts here.
  const block = config.includes("name: report-tiny") ? "```yaml\n<config.yaml>\n```" : config;
  const hash = /hash <code>[\w:-]+<\/code>/;
  return mask(before).replace(hash, "hash <code><config hash></code>") + block + mask(after);
}

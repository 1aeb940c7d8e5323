/**
 * Golden report.md of a fixed hand-made run (test-runs.ts: every number chosen), so the numbers'
 * formatting is pinned too; only what the run store writes per machine is masked. The golden of a
 * real seeded training run (numbers masked) is in tests/report-runs.test.ts.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { writeReport } from "./report";
import { loadRunSide } from "./run-side";
import { sampleConfig, writeFakeRun } from "./test-runs";

const GOLDEN = fileURLToPath(new URL("../../../tests/fixtures/report/fixed.report.md", import.meta.url));

it("writes the golden report.md for a fixed run with a baseline", async () => {
  const runsDir = mkdtempSync(join(tmpdir(), "tessera-golden-"));
  const classes = ["A", "B", "C", "D"];
  const confusion = [
    [8, 0, 0, 2],
    [0, 10, 0, 0],
    [0, 1, 9, 0],
    [3, 0, 0, 7],
  ];
  const base = await loadRunSide(await writeFakeRun({ runsDir, id: "baseline-run", classes }));
  const config = sampleConfig((c) => {
    c.model.backbone = "resnet50";
    c.train.stages[1]!.lr = { kind: "fixed", min: 1e-7, max: 1e-4 };
  });
  const run = await loadRunSide(
    await writeFakeRun({
      runsDir,
      id: "candidate-run",
      classes,
      config,
      confusion,
      lrFind: true,
      accuracy: [
        [0.6, 0.75],
        [0.82, 0.85],
      ],
    }),
  );
  const { file } = writeReport({ run, baseline: base, outDir: join(runsDir, "out") });
  const masked = readFileSync(file, "utf8")
    .replace(/\| (started|ended|host|versions) \| .* \|/g, "| $1 | <masked> |")
    // The config block is the config loader's output (toWritten), pinned by its own tests.
    .replace(/```yaml\n[\s\S]*?\n```/, "```yaml\n<config.yaml>\n```");
  // UPDATE_GOLDEN=1 rewrites it; a missing golden is written locally but fails in CI.
  const inCi = process.env.CI === "true" || process.env.CI === "1";
  if (process.env.UPDATE_GOLDEN === "1" || (!existsSync(GOLDEN) && !inCi)) writeFileSync(GOLDEN, masked);
  expect(masked).toBe(readFileSync(GOLDEN, "utf8"));
});

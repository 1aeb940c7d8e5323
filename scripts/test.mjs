// Runs every test (Vitest, all projects) and ends with the one summary line CI reads:
// `Tests: N passed, N failed`. Extra arguments go to Vitest (e.g. a project or a file filter).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const out = join(mkdtempSync(join(tmpdir(), "tessera-test-")), "results.json");
const args = [
  "exec",
  "vitest",
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${out}`,
  ...process.argv.slice(2),
];
const child = spawnSync("pnpm", args, { stdio: "inherit" });

let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(out)) {
  const results = JSON.parse(readFileSync(out, "utf8"));
  passed = results.numPassedTests ?? 0;
  failed = (results.numFailedTests ?? 0) + (results.numRuntimeErrorTestSuites ?? 0);
  skipped = (results.numPendingTests ?? 0) + (results.numTodoTests ?? 0);
} else {
  failed = 1;
}
if (child.status !== 0 && failed === 0) failed = 1; // a crash before any test result still fails
console.log(`Tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || child.status !== 0 ? 1 : 0);

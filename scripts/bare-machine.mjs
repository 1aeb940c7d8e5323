// The bare-machine check of CI (issue 15): with every Vulkan ICD, chromium and the team kit hidden,
// the README's first command must pick wasm (not webgpu over a CPU rasteriser), finish, keep Dawn's
// warnings off the terminal, and take < 2x a normal demo run; then the unit tests must end 0 failed.
//
//   node scripts/bare-machine.mjs [--baseline-file F] [--skip-unit]
//
// The normal demo time is read from F (written by tests/e2e-run-demo.test.ts in the same CI job,
// via TESSERA_DEMO_SECONDS_FILE) when it exists; otherwise a normal demo run is timed here first.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const args = process.argv.slice(2);
const baselineFile = args.includes("--baseline-file") ? args[args.indexOf("--baseline-file") + 1] : null;
const work = mkdtempSync(join(tmpdir(), "tessera-bare-"));
const noIcd = join(work, "no-icd.json");
writeFileSync(noIcd, "{}");
const hidden = {
  ...process.env,
  VK_DRIVER_FILES: noIcd,
  VK_ICD_FILENAMES: noIcd,
  TESSERA_CHROMIUM: join(work, "no-chromium"),
  TESSERA_SHARED_DIR: join(work, "no-team-kit"),
  TESSERA_REQUIRE_COMPONENTS: "0",
};
const problems = [];
const check = (ok, what) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) problems.push(what);
};

/** `pnpm tessera run configs/demo.yaml` into a fresh runs dir: seconds, exit status, output, meta. */
function demo(label, env) {
  const runsDir = join(work, `runs-${label}`);
  const started = performance.now();
  const res = spawnSync("pnpm", ["-s", "tessera", "run", "configs/demo.yaml", "--runs-dir", runsDir, "--json"], {
    env,
    encoding: "utf8",
    timeout: 600_000,
  });
  const seconds = (performance.now() - started) / 1000;
  const [id] = existsSync(runsDir) ? readdirSync(runsDir) : [];
  const meta = id ? JSON.parse(readFileSync(join(runsDir, id, "meta.json"), "utf8")) : null;
  console.log(`demo (${label}): ${seconds.toFixed(1)} s, exit ${res.status}, backend ${meta?.backend?.name ?? "?"}`);
  return { seconds, res, meta };
}

const recorded = baselineFile && existsSync(baselineFile) ? Number(readFileSync(baselineFile, "utf8")) : NaN;
const baseline = Number.isFinite(recorded) && recorded > 0 ? recorded : demo("normal", process.env).seconds;
if (Number.isFinite(recorded))
  console.log(`demo (normal): ${baseline.toFixed(1)} s, read from ${baselineFile} (tests/e2e-run-demo.test.ts in CI)`);

const bare = demo("vulkan and chromium hidden", hidden);
check(bare.res.status === 0, "the demo exits 0");
let out = null;
try {
  out = JSON.parse(bare.res.stdout);
} catch {
  // reported below
}
check(out?.status === "finished", "the demo prints a finished run as JSON on stdout");
check(bare.meta?.status === "finished", "meta.json says finished");
check(bare.meta?.backend?.name === "wasm", `meta.json says wasm (got ${bare.meta?.backend?.name ?? "none"})`);
const dawn = /vkCreateInstance|Couldn't load Vulkan|^Warning: /m.exec(bare.res.stderr);
check(dawn === null, `no Dawn warning on stderr${dawn ? ` (saw: ${dawn[0]})` : ""}`);
const note = /^webgpu: .*$/m.exec(bare.res.stderr);
if (note) console.log(`     auto said: ${note[0]}`);
check(bare.seconds < 2 * baseline, `took ${bare.seconds.toFixed(1)} s < 2 x ${baseline.toFixed(1)} s`);
if (problems.length) console.log(bare.res.stderr.slice(-3000));

if (!args.includes("--skip-unit")) {
  const started = performance.now();
  const unit = spawnSync("node", ["scripts/test.mjs", "--project", "shared", "--project", "runner"], {
    env: hidden,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 900_000,
  });
  const summary = /Tests: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?/.exec(unit.stdout ?? "");
  console.log(
    `unit tests with components hidden: ${summary?.[0] ?? "no summary"} (${((performance.now() - started) / 1000).toFixed(0)} s)`,
  );
  if (!summary || unit.status !== 0) console.log((unit.stdout ?? "").slice(-4000));
  check(summary !== null && summary[2] === "0" && unit.status === 0, "pnpm test:unit with components hidden: 0 failed");
}

console.log(problems.length ? `bare machine: ${problems.length} problem(s)` : "bare machine: ok");
process.exit(problems.length ? 1 : 0);

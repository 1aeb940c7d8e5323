/**
 * `tessera validate` and `tessera plan` as a user meets them: exit codes 0 / 1 / 2, `--json` on
 * stdout, and no input — however malformed — printing a stack trace.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../runner/src/cli/main";
import { REPO_ROOT } from "./helpers/paths";

const INVALID = join(REPO_ROOT, "tests", "fixtures", "configs", "invalid");
/** A config with known sizes (configs/demo.yaml gets tuned for speed, so tests don't pin it). */
const PLAN = join(REPO_ROOT, "tests", "fixtures", "configs", "valid", "plan.yaml");
const STACK_LINE = /^\s+at .+[(:]\d+/m;

/** Runs the CLI in-process and captures what it writes. */
async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

afterEach(() => vi.restoreAllMocks());

describe("tessera validate", () => {
  it("accepts the committed configs", async () => {
    const configs = readdirSync(join(REPO_ROOT, "configs"))
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => join(REPO_ROOT, "configs", f));
    const { code, stderr } = await run(["validate", ...configs]);
    expect(stderr).not.toMatch(/invalid/);
    expect(code).toBe(0);
  });

  it("reports every broken fixture with file:line:col and never a stack trace", async () => {
    // set-*.yaml are broken only by their `# set:` flags (covered in config-fixtures.test.ts).
    const files = readdirSync(INVALID)
      .filter((f) => f.endsWith(".yaml") && !f.startsWith("set-"))
      .map((f) => join(INVALID, f));
    const { code, stderr } = await run(["validate", ...files]);
    expect(code).toBe(1);
    expect(stderr).not.toMatch(STACK_LINE);
    expect(stderr).not.toMatch(/unexpected error/);
    expect(stderr.match(/^invalid /gm)?.length).toBe(files.length);
    expect(stderr).toMatch(
      /wrong-type-lr-min\.yaml:21:18 {2}train\.stages\[1\]\.lr\.min: must be a number, received "1e-6x"/,
    );
  });

  it("--json prints one document on stdout", async () => {
    const { code, stdout } = await run([
      "validate",
      "--json",
      join(INVALID, "lr-inverted.yaml"),
      join(REPO_ROOT, "configs", "demo.yaml"),
    ]);
    expect(code).toBe(1);
    const doc = JSON.parse(stdout) as {
      valid: boolean;
      files: { valid: boolean; errors: { line: number; path: string }[] }[];
    };
    expect(doc.valid).toBe(false);
    expect(doc.files.map((f) => f.valid)).toEqual([false, true]);
    expect(doc.files[0]!.errors[0]).toMatchObject({ line: 21, path: "train.stages[1].lr.min" });
  });

  it("--check-data counts synthetic images", async () => {
    const { code, stdout } = await run(["validate", "--json", "--check-data", PLAN]);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { files: { data: { images: number; classes: string[] } }[] };
    expect(doc.files[0]!.data.images).toBe(360);
    expect(doc.files[0]!.data.classes).toHaveLength(6);
  });
});

describe("tessera plan", () => {
  it("spreads the polish stage's LRs like fastai's slice: 1e-8 / 1e-7 / 1e-6", async () => {
    const { code, stderr } = await run(["plan", join(REPO_ROOT, "configs", "kimia960-resnet152.yaml")]);
    expect(code).toBe(0);
    expect(stderr).toContain("lr        early 1e-8 / late 1e-7 / head 1e-6");
    expect(stderr).toContain('stage 1 "fine-tune"  7 epochs  size 224');
    expect(stderr).toMatch(/max │/);
  });

  it("--json gives per-group LRs and exact steps with --check-data and --set", async () => {
    const { code, stdout } = await run(["plan", "--json", "--check-data", "--set", "train.stages[all].epochs=2", PLAN]);
    expect(code).toBe(0);
    const plan = JSON.parse(stdout) as {
      stages: {
        name: string;
        epochs: number;
        stepsPerEpoch: number;
        totalSteps: number;
        lr: { groups: Record<string, number> };
      }[];
    };
    const all = plan.stages.find((s) => s.name === "all")!;
    expect(all.epochs).toBe(2);
    // 360 synthetic images, 20% valid -> 288 train; batch 32 -> 9 full batches
    expect(all.stepsPerEpoch).toBe(9);
    expect(all.totalSteps).toBe(18);
    expect(all.lr.groups.head).toBe(3e-3);
  });

  it("a --set on a missing path is a config error (exit 1) naming it", async () => {
    const { code, stderr } = await run([
      "plan",
      "--set",
      "train.stages[7].epochs=2",
      join(REPO_ROOT, "configs", "demo.yaml"),
    ]);
    expect(code).toBe(1);
    expect(stderr).toContain("--set train.stages[7].epochs=2  train.stages[7].epochs: no such element");
    expect(stderr).not.toMatch(STACK_LINE);
  });
});

describe("tessera plan checks memory like run", () => {
  it("reports each stage's estimate, and refuses a batch of 1e9 on wasm at once, naming the fix", async () => {
    const ok = await run(["plan", PLAN]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/^memory wasm: .*GiB \(batch \d+\)/m);
    const started = performance.now();
    const big = await run(["plan", "--set", "backend=wasm", "--set", "train.batch_size=1000000000", PLAN]);
    expect(big.code).toBe(1);
    expect(big.stderr).toMatch(/with a batch of 1000000000 needs about .* set train\.micro_batch to \d+ or less/);
    expect(big.stderr).not.toMatch(STACK_LINE);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe("tessera run --threads", () => {
  it("rejects a thread count that is not an integer from 1 to 64, before any training (exit 2)", async () => {
    for (const value of ["0", "1.5", "lots", "65"]) {
      const { code, stderr } = await run(["run", join(REPO_ROOT, "configs", "demo.yaml"), "--threads", value]);
      expect(code, value).toBe(2);
      expect(stderr).toContain(`option '--threads <n>' argument '${value}' is invalid`);
      expect(stderr).toContain("expected an integer from 1 to 64");
    }
    expect("_tfengine" in globalThis).toBe(false);
  });

  it("names TESSERA_THREADS when the environment gives a bad count", async () => {
    vi.stubEnv("TESSERA_THREADS", "two");
    try {
      const { code, stderr } = await run(["run", join(REPO_ROOT, "configs", "demo.yaml")]);
      expect(code).toBe(2);
      expect(stderr).toContain("from env 'TESSERA_THREADS' is invalid");
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe("validate and plan stay light", () => {
  it("never load TensorFlow.js (it sets globalThis._tfengine on import)", async () => {
    await run(["validate", "--check-data", PLAN]);
    await run(["plan", "--check-data", PLAN]);
    expect("_tfengine" in globalThis).toBe(false);
  });
});

describe("the installed command", () => {
  const tessera = (...args: string[]) =>
    spawnSync("pnpm", ["-s", "tessera", ...args], { cwd: REPO_ROOT, encoding: "utf8", timeout: 120_000 });

  it("exits 0 for valid configs, 1 for an invalid one, 2 for a usage error", () => {
    expect(tessera("validate", "configs/demo.yaml").status).toBe(0);
    const bad = tessera("validate", "tests/fixtures/configs/invalid/binary.yaml");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("binary.yaml  (root): not a text file");
    expect(tessera("validate", "--no-such-flag", "configs/demo.yaml").status).toBe(2);
  });
});

/**
 * `tessera data preview|cache|fetch` as a user meets them: exit codes, `--json` on stdout, a PNG
 * written, bad input named without a stack trace.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../runner/src/cli/main";

const STACK_LINE = /^\s+at .+[(:]\d+/m;
let dir: string;
let savedCacheDir: string | undefined;

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

const CONFIG = `name: preview-test
seed: 3
data:
  source: synthetic
  classes: 4
  per_class: 6
  image_size: 48
  augment: { dihedral: true, stain_jitter: 0.1 }
model: { backbone: resnet18, width: 0.25 }
train:
  stages:
    - { name: only, trainable: all, epochs: 1, size: 40, lr: 1e-3 }
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tessera-data-cli-"));
  savedCacheDir = process.env.TESSERA_CACHE_DIR;
  process.env.TESSERA_CACHE_DIR = join(dir, "cache");
  await writeFile(join(dir, "synthetic.yaml"), CONFIG);
});
afterAll(async () => {
  if (savedCacheDir === undefined) delete process.env.TESSERA_CACHE_DIR;
  else process.env.TESSERA_CACHE_DIR = savedCacheDir;
  await rm(dir, { recursive: true, force: true });
});

describe("tessera data", () => {
  it("preview writes a PNG of augmented samples", async () => {
    const out = join(dir, "preview.png");
    const { code, stderr } = await run(["data", "preview", join(dir, "synthetic.yaml"), "--out", out, "--count", "8"]);
    expect(stderr).toMatch(/wrote .*preview\.png: 8 augmented training samples at 40 px \(stage 'only'\), 4 classes/);
    expect(code).toBe(0);
    expect((await readFile(out)).subarray(1, 4).toString()).toBe("PNG");
  });

  it("preview names a bad --stage and --count without a stack", async () => {
    const stage = await run(["data", "preview", join(dir, "synthetic.yaml"), "--stage", "nope"]);
    expect(stage.code).toBe(2);
    expect(stage.stderr).toContain("--stage: no stage 'nope'; stages are 'only'");
    const count = await run(["data", "preview", join(dir, "synthetic.yaml"), "--count", "0"]);
    expect(count.code).toBe(2);
    expect(count.stderr + stage.stderr).not.toMatch(STACK_LINE);
  });

  it("cache --json reports the cache and --clear empties it", async () => {
    const { code, stdout } = await run(["data", "cache", "--json"]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ dir: join(dir, "cache", "images"), cleared: false });
    const cleared = await run(["data", "cache", "--clear", "--json"]);
    expect(JSON.parse(cleared.stdout)).toMatchObject({ cleared: true });
  });

  it("fetch kimia960 without the files prints the manual steps and exits 1; unknown names exit 2", async () => {
    const to = join(dir, "kimia");
    const manual = await run(["data", "fetch", "kimia960", "--to", to]);
    expect(manual.code).toBe(1);
    expect(manual.stderr).toContain(`unzip <downloaded.zip> -d ${to}`);
    const unknown = await run(["data", "fetch", "nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown data set 'nope'");
  });
});

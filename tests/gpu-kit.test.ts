/**
 * The GPU check kit (bench/gpu-kit/) builds under 60 MiB from npm and Debian packages, and its
 * run.sh, given only the kit folder, unpacks Node, Dawn and the Vulkan loader and measures a
 * training step: here the CI-size case (tiny ResNet-18, 32 px, one step) on Mesa's lavapipe, which
 * must come out labelled as a software adapter. Without lavapipe the test skips, unless
 * TESSERA_E2E_REQUIRE_REAL or TESSERA_REQUIRE_COMPONENTS is set (CI), where it fails instead.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildKit, KIT_LIMIT } from "../bench/gpu-kit/build";
import { REQUIRE_COMPONENTS } from "./helpers/components";

const ICD_DIR = "/usr/share/vulkan/icd.d";
const lavapipe = existsSync(ICD_DIR) && readdirSync(ICD_DIR).some((f) => /^lvp_icd.*\.json$/.test(f));
const required = Boolean(process.env.TESSERA_E2E_REQUIRE_REAL) || REQUIRE_COMPONENTS;
const why = `no lavapipe manifest in ${ICD_DIR}: apt-get install -t bookworm-backports mesa-vulkan-drivers`;
if (!lavapipe && !required) console.warn(`skipped: gpu-kit: ${why}`);

// Beside the manual build's folder, so the downloads cache (bench/out/gpu-kit-cache) is shared.
const kit = resolve(__dirname, "../bench/out/gpu-kit-ci");
let bytes = 0;

type Line = Record<string, unknown>;
function runKit(env: Record<string, string>): { status: number | null; lines: Line[]; stderr: string } {
  const r = spawnSync(join(kit, "run.sh"), [], {
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 150_000,
  });
  const lines = r.stdout
    .trim()
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Line);
  return { status: r.status, lines, stderr: r.stderr };
}

describe.skipIf(!lavapipe && !required)("GPU check kit on lavapipe", () => {
  beforeAll(async () => {
    if (!lavapipe) throw new Error(`${why} (required: TESSERA_E2E_REQUIRE_REAL / TESSERA_REQUIRE_COMPONENTS)`);
    bytes = await buildKit(kit);
  }, 240_000);

  it("is a folder under 60 MiB with Node, the bundle, Dawn and the Vulkan loader", () => {
    expect(bytes).toBeLessThan(KIT_LIMIT);
    const files = execFileSync("find", [".", "-type", "f"], { cwd: kit, encoding: "utf8" });
    expect(files).toContain("./node.gz");
    expect(files).toContain("./bench.mjs");
    expect(files).toContain("./node_modules/webgpu/dist/linux-x64/dawn.node.gz");
    expect(files).toMatch(/\.\/debs\/libvulkan1_[^/]+_amd64\.deb/);
  });

  it("runs the tiny case and prints one JSON line per case, the adapter named and marked software", () => {
    const { status, lines, stderr } = runKit({ TESSERA_KIT_CASES: "tiny", TESSERA_KIT_WORK: join(kit, "unpacked") });
    expect(status, stderr).toBe(0);
    const [env, webgpu, torch, ...rest] = lines;
    expect(rest).toEqual([]);
    expect(env).toMatchObject({ case: "env", mode: "tiny" });
    expect(String(env!.icd)).toMatch(/lvp_icd.*\.json$/);
    // The kit's own loader, unpacked from the .deb, not the machine's.
    expect(String(env!.vulkan_loader)).toMatch(/^libvulkan1_.*\.deb$/);
    expect(webgpu, JSON.stringify(webgpu)).toMatchObject({ case: "tiny", framework: "tfjs-webgpu", software: true });
    expect(webgpu!.images_per_s).toBeGreaterThan(0);
    const adapter = webgpu!.adapter as Record<string, string>;
    expect(adapter.description).toMatch(/llvmpipe|lavapipe/i);
    // PyTorch is optional: a measurement when importable, otherwise a line that says it is missing.
    expect(torch).toMatchObject({ case: "tiny", framework: "pytorch" });
    if ("error" in torch!) expect(torch.error).toMatch(/torch missing/);
    else expect(torch!.images_per_s).toBeGreaterThan(0);
  }, 160_000);

  it("rejects an unknown case set with a JSON error line and exit 2", () => {
    const { status, lines } = runKit({ TESSERA_KIT_CASES: "huge" });
    expect(status).toBe(2);
    expect(lines).toEqual([{ case: "setup", framework: "kit", error: expect.stringContaining("TESSERA_KIT_CASES") }]);
  });
});

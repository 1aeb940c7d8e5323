/**
 * The bare machine of issue 15: no Vulkan driver, so Dawn falls back to OpenGL, where Mesa's
 * llvmpipe (a CPU rasteriser) answers without Dawn flagging it as a fallback adapter. Every
 * Vulkan ICD is hidden for this file; it needs Mesa's EGL (present wherever Mesa is) and skips
 * where the OpenGL adapter is a real GPU's.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { REQUIRE_COMPONENTS } from "../../../tests/helpers/components";
import * as tf from "../tf";
import { selectBackend } from "./index";
import { prepareWebgpuBackend, releaseWebgpu } from "./webgpu";
import { probeAdapter } from "./webgpu/probe";
import { softwareAdapter } from "./webgpu/software";

const noIcd = join(mkdtempSync(join(tmpdir(), "tessera-no-vulkan-")), "none.json");
writeFileSync(noIcd, "{}");
const hidden = { VK_DRIVER_FILES: noIcd, VK_ICD_FILENAMES: noIcd };
Object.assign(process.env, hidden); // before Dawn is loaded anywhere in this process

const probe = await probeAdapter({ opengl: true }).catch(() => null);
const gl = probe?.adapters.find((a) => a.driver === "opengl") ?? null;
const skip =
  gl === null
    ? "no OpenGL adapter with Vulkan hidden: apt-get install libegl-mesa0 libgl1-mesa-dri"
    : softwareAdapter(gl.info) === null
      ? `the OpenGL adapter is a real GPU (${gl.info.description})`
      : null;
if (skip) {
  if (REQUIRE_COMPONENTS && gl === null) throw new Error(skip);
  console.warn(`skipped: ${skip}`);
}

afterAll(async () => {
  releaseWebgpu();
  await tf.setBackend("cpu");
});

describe.skipIf(skip !== null)("llvmpipe behind Dawn's OpenGL path", () => {
  it("auto skips it and says why in one line", async () => {
    const notes: string[] = [];
    const info = await selectBackend("auto", { onNote: (line) => notes.push(line) });
    expect(info.name).not.toBe("webgpu");
    expect(notes).toEqual([`webgpu: only a software adapter (llvmpipe); using ${info.name}`]);
  });

  it("asked for by name it still runs, and reports a vendor, its driver and that it is software", async () => {
    const info = await prepareWebgpuBackend({ allowFallback: true });
    expect(info).toMatchObject({ driver: "opengl", vendor: "mesa", software: "llvmpipe" });
    expect(await tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).data()).toEqual(new Float32Array([4, 6]));
  });

  it("Dawn's own warnings stay off stderr unless verbose", async () => {
    const entry = join(fileURLToPath(new URL(".", import.meta.url)), "index.ts");
    const script = (verbose: boolean) =>
      `const { selectBackend } = await import(${JSON.stringify(entry)});` +
      `const info = await selectBackend("auto", { verbose: ${verbose}, onNote: (l) => console.log(l) });` +
      `console.log("picked " + info.name); process.exit(0);`;
    const run = (verbose: boolean) =>
      promisify(execFile)(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script(verbose)], {
        env: { ...process.env, ...hidden },
        cwd: fileURLToPath(new URL("../..", import.meta.url)),
      });
    const quiet = await run(false);
    expect(quiet.stdout).toMatch(
      /^webgpu: only a software adapter \(llvmpipe\); using (wasm|cpu)\npicked (wasm|cpu)\n$/,
    );
    expect(quiet.stderr).not.toMatch(/vkCreateInstance|Vulkan|Warning/);
    const loud = await run(true);
    expect(loud.stderr).toMatch(/vkCreateInstance|Vulkan/);
  });
});

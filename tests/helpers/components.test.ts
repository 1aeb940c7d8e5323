/** The component check itself: a hidden component skips with one install line, or fails when required. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { missingComponent } from "./components";

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  vi.restoreAllMocks();
});

describe("missingComponent", () => {
  it("chromium hidden: one 'skipped:' line with the apt package, once per process", async () => {
    process.env.TESSERA_CHROMIUM = "/nonexistent/chromium";
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const why = await missingComponent("chromium", { require: false });
    expect(why).toMatch(/^chromium not found \(TESSERA_CHROMIUM=\/nonexistent\/chromium\): apt-get install chromium/);
    await missingComponent("chromium", { require: false });
    expect(warn.mock.calls).toEqual([[`skipped: ${why}`]]);
  });

  it("required (as CI sets TESSERA_REQUIRE_COMPONENTS=1): a missing component throws", async () => {
    process.env.TESSERA_CHROMIUM = "/nonexistent/chromium";
    await expect(missingComponent("chromium", { require: true })).rejects.toThrow(
      /chromium not found.*\(required: TESSERA_REQUIRE_COMPONENTS=1\)/,
    );
  });

  it("every Vulkan driver hidden: no webgpu adapter, and the line names the Mesa package", async () => {
    const none = join(mkdtempSync(join(tmpdir(), "tessera-no-icd-")), "none.json");
    writeFileSync(none, "{}");
    Object.assign(process.env, { VK_DRIVER_FILES: none, VK_ICD_FILENAMES: none });
    vi.spyOn(console, "warn").mockImplementation(() => {});
    expect(await missingComponent("webgpu", { require: false })).toMatch(/no WebGPU adapter.*mesa-vulkan-drivers/);
  });
});

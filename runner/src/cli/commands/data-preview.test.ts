import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../errors";
import { dataPreviewCommand } from "./data";

describe("tessera data preview --out", () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-preview-out-"));
  const config = join(dir, "c.yaml");
  const yaml = "name: p\ndata: { source: synthetic, classes: 2, per_class: 4, image_size: 32 }\n";
  writeFileSync(config, yaml);
  const opts = { set: [], count: "4" };

  it("refuses a name that is not .png, so it cannot overwrite a config with an image (it did)", async () => {
    await expect(dataPreviewCommand(config, { ...opts, out: config })).rejects.toThrow(
      /--out .*c\.yaml: expected a \.png file name/,
    );
    expect(readFileSync(config, "utf8")).toBe(yaml);
  });

  it("refuses a folder before loading any data, suggesting a file in it", async () => {
    const error = await dataPreviewCommand(join(dir, "missing.yaml"), { ...opts, out: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain(
      `is a folder; name the PNG file to write, e.g. ${join(dir, "preview.png")}`,
    );
  });
});

/**
 * `tessera run` said nothing between the command and the first stage line while it picked the
 * backend and read and hashed every image (minutes on big data). runExperiment now reports those
 * steps through `onSetup`, which the run command prints.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { runExperiment, type SetupProgress } from ".";

describe("run setup progress", () => {
  it("reports the backend, each image checked and the loaded dataset before training", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-setup-"));
    for (const [c, red] of [
      ["A", 220],
      ["B", 30],
    ] as const) {
      mkdirSync(join(dir, "tiles", c), { recursive: true });
      for (let i = 0; i < 4; i++) {
        const background = { r: red, g: i * 40, b: 90 };
        await sharp({ create: { width: 16, height: 16, channels: 3, background } })
          .png()
          .toFile(join(dir, "tiles", c, `${i}.png`));
      }
    }
    writeFileSync(
      join(dir, "c.yaml"),
      `name: setup
seed: 3
backend: wasm
data: { source: folder, path: tiles, split: { valid: 0.5, stratify: true } }
model: { backbone: resnet18, width: 0.125, head: { dropout: 0 } }
train:
  batch_size: 4
  stages: [{ name: head, trainable: [head], epochs: 1, size: 32, lr: 1e-3 }]
`,
    );
    const steps: SetupProgress[] = [];
    await runExperiment({
      configFile: join(dir, "c.yaml"),
      runsDir: join(dir, "runs"),
      cacheDir: false,
      onSetup: (s) => steps.push(s),
    });
    expect(steps[0]).toMatchObject({ kind: "backend", name: "wasm" });
    const data = steps.filter((s) => s.kind === "data");
    expect(data.length).toBeGreaterThan(0);
    expect(data.at(-1)).toEqual({ kind: "data", done: 8, total: 8 });
    expect(steps.at(-1)).toMatchObject({ kind: "data_loaded", images: 8, classes: 2, skipped: 0 });
  });

  it("refuses a --runs-dir that is a file before loading any data (it was an EEXIST stack trace after)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-setup-"));
    writeFileSync(
      join(dir, "c.yaml"),
      "name: x\ndata: { source: synthetic, classes: 2, per_class: 4, image_size: 32 }\n" +
        "model: { backbone: resnet18, width: 0.125 }\ntrain: { stages: [{ trainable: all, epochs: 1, size: 32, lr: 1e-3 }] }\n",
    );
    const steps: SetupProgress[] = [];
    await expect(
      runExperiment({ configFile: join(dir, "c.yaml"), runsDir: join(dir, "c.yaml"), onSetup: (s) => steps.push(s) }),
    ).rejects.toThrow(/--runs-dir .*c\.yaml: is a file, not a folder/);
    expect(steps).toEqual([]);
  });
});

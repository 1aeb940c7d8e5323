/**
 * A two-stage tiny training run on the webgpu backend (freeze -> unfreeze, progressive resizing)
 * finishes with the same numbers as the same run on wasm, within float tolerance. In CI this runs
 * on Mesa's lavapipe CPU Vulkan driver; without a Vulkan adapter it skips (helpers/components).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { EventOf, RunEvent, RunMeta } from "@tessera/shared";
import { runExperiment } from "../runner/src/train";
import { prepareWebgpuBackend, releaseWebgpu } from "../runner/src/backend/webgpu";
import { missingComponent } from "./helpers/components";

const noAdapter = await missingComponent("webgpu");

const CONFIG = `
name: webgpu-vs-wasm
seed: 3
data: { source: synthetic, classes: 3, per_class: 8, image_size: 48, split: { valid: 0.25 } }
model: { backbone: resnet18, width: 0.125, head: { dropout: 0 } }
train:
  batch_size: 6
  optimizer: { name: adam, weight_decay: 0.01 }
  stages:
    - { name: head, trainable: [head], size: 32, epochs: 1, lr: 1e-2, schedule: constant }
    - { name: all, trainable: all, size: 48, epochs: 1, lr: { min: 1e-4, max: 1e-3 }, schedule: one_cycle }
`;

const dir = mkdtempSync(join(tmpdir(), "tessera-webgpu-"));
afterAll(() => {
  releaseWebgpu();
  rmSync(dir, { recursive: true, force: true });
});

async function run(backend: "wasm" | "webgpu") {
  const file = join(dir, `${backend}.yaml`);
  writeFileSync(file, CONFIG);
  const { runDir } = await runExperiment({ configFile: file, backend, runsDir: join(dir, "runs"), cacheDir: false });
  const events = readFileSync(join(runDir, "events.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as RunEvent);
  const meta = JSON.parse(readFileSync(join(runDir, "meta.json"), "utf8")) as RunMeta;
  return {
    meta,
    losses: events.filter((e): e is EventOf<"batch"> => e.type === "batch").map((e) => e.loss),
    epochs: events.filter((e): e is EventOf<"epoch"> => e.type === "epoch"),
  };
}

describe("webgpu training", () => {
  it.skipIf(noAdapter !== null)("matches wasm over a freeze -> unfreeze run with progressive resizing", async () => {
    await prepareWebgpuBackend({ allowFallback: true, openglFallback: false });
    const wasm = await run("wasm");
    const gpu = await run("webgpu");
    expect(gpu.meta.backend?.name).toBe("webgpu");
    expect(gpu.meta.backend?.device).toBeTruthy();
    expect(gpu.losses).toHaveLength(wasm.losses.length);
    const worst = Math.max(
      ...gpu.losses.map((l, i) => Math.abs(l - wasm.losses[i]!) / Math.max(1e-6, Math.abs(wasm.losses[i]!))),
    );
    console.log(
      `webgpu (${gpu.meta.backend?.device}) vs wasm: ${gpu.losses.length} batch losses, worst relative diff ${worst.toExponential(2)}`,
    );
    expect(worst).toBeLessThan(1e-3);
    expect(gpu.epochs.map((e) => e.valid_accuracy)).toEqual(wasm.epochs.map((e) => e.valid_accuracy));
    gpu.epochs.forEach((e, i) => expect(e.valid_loss).toBeCloseTo(wasm.epochs[i]!.valid_loss, 3));
  });
});

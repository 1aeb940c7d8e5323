/**
 * Determinism: the same config and seed on the same backend give the same first-epoch metrics and
 * the same batch losses (split, init, data order, augmentation and dropout are all seeded).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { EventOf, RunEvent } from "@tessera/shared";
import { runExperiment } from "../runner/src/train";

const config = (seed: number) => `
name: determinism
seed: ${seed}
backend: wasm
data: { source: synthetic, classes: 3, per_class: 10, image_size: 32, augment: { dihedral: true, brightness: 0.1 } }
model: { backbone: resnet18, width: 0.125, head: { dropout: 0.5 } }
train:
  batch_size: 8
  stages:
    - { name: only, trainable: all, size: 32, epochs: 1, lr: 1e-3 }
`;

async function firstEpoch(seed: number, dir: string): Promise<{ epoch: EventOf<"epoch">; losses: number[] }> {
  const file = join(dir, `seed${seed}-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, config(seed));
  const { runDir } = await runExperiment({ configFile: file, runsDir: join(dir, "runs"), cacheDir: false });
  const events = readFileSync(join(runDir, "events.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as RunEvent);
  const epoch = events.find((e): e is EventOf<"epoch"> => e.type === "epoch")!;
  const losses = events.filter((e): e is EventOf<"batch"> => e.type === "batch").map((b) => b.loss);
  return { epoch, losses };
}

describe("determinism", () => {
  it("gives identical first-epoch metrics for the same seed, and different ones for another seed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-det-"));
    const a = await firstEpoch(1, dir);
    const b = await firstEpoch(1, dir);
    const c = await firstEpoch(2, dir);
    const metrics = (r: typeof a) => ({
      train_loss: r.epoch.train_loss,
      valid_loss: r.epoch.valid_loss,
      valid_accuracy: r.epoch.valid_accuracy,
      confusion: r.epoch.confusion,
    });
    expect(b.losses).toEqual(a.losses);
    expect(metrics(b)).toEqual(metrics(a));
    expect(c.losses).not.toEqual(a.losses);
  });
});

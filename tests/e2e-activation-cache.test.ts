/**
 * The activation cache inside a real run: a head stage and a conv5+head stage with frozen,
 * inference-mode BatchNorm (`train_bn: false`) use it (recorded in activation_cache.json), and the
 * run's metrics equal the same run with the cache turned off.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { EventOf, RunEvent } from "@tessera/shared";
import { runExperiment } from "../runner/src/train";

const CONFIG = `
name: cache-tiny
seed: 11
backend: wasm
data: { source: synthetic, classes: 3, per_class: 12, image_size: 32, split: { valid: 0.25 }, augment: { dihedral: true } }
model:
  backbone: resnet18
  width: 0.125
  head: { dropout: 0.3 }
  groups: { body: [stem, conv2, conv3, conv4], late: [conv5], head: [head] }
train:
  batch_size: 9
  stages:
    - { name: head, trainable: [head], train_bn: false, size: 32, epochs: 2, lr: 3e-3 }
    - { name: late, trainable: [late, head], train_bn: false, size: 32, epochs: 2, lr: { min: 1e-3, max: 3e-3 } }
`;

async function run(dir: string, cache: boolean) {
  process.env.TESSERA_ACTIVATION_CACHE = cache ? "1" : "0";
  const file = join(dir, `cache-${cache}.yaml`);
  writeFileSync(file, CONFIG);
  const { runDir } = await runExperiment({ configFile: file, runsDir: join(dir, `runs-${cache}`), cacheDir: false });
  const events = readFileSync(join(runDir, "events.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as RunEvent);
  return { runDir, epochs: events.filter((e): e is EventOf<"epoch"> => e.type === "epoch") };
}

afterEach(() => {
  delete process.env.TESSERA_ACTIVATION_CACHE;
});

describe("activation cache in a run", () => {
  it("is used for frozen-prefix stages, recorded, and gives the uncached run's metrics", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-cache-e2e-"));
    const plain = await run(dir, false);
    const cached = await run(dir, true);
    expect(existsSync(join(plain.runDir, "activation_cache.json"))).toBe(false);
    const records = JSON.parse(readFileSync(join(cached.runDir, "activation_cache.json"), "utf8"));
    expect(
      records.map((r: { stage: string; cut_layer: string; views: number }) => [r.stage, r.cut_layer, r.views]),
    ).toEqual([
      ["head", "conv5_block2_out", 8],
      ["late", "conv4_block2_out", 8],
    ]);
    expect(cached.epochs).toHaveLength(4);
    cached.epochs.forEach((e, i) => {
      const p = plain.epochs[i]!;
      expect([e.stage, e.epoch]).toEqual([p.stage, p.epoch]);
      expect(e.valid_accuracy).toBe(p.valid_accuracy);
      expect(e.valid_loss).toBeCloseTo(p.valid_loss, 4);
      expect(e.train_loss).toBeCloseTo(p.train_loss, 4);
    });
  });
});

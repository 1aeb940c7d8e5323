/**
 * The activation cache inside a real run: a head stage and a conv5+head stage with frozen,
 * inference-mode BatchNorm (`train_bn: false`) use it (recorded in activation_cache.json), and the
 * run's metrics equal the same run with the cache turned off.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { EventOf, RunEvent } from "@tessera/shared";
import { runExperiment } from "../runner/src/train";
import { exportRun } from "../runner/src/inference/export";
import { loadCheckpoint } from "../runner/src/train/checkpoints/io";
import { fileHandler } from "../runner/src/model/fileio";
import * as tf from "../runner/src/tf";

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

async function run(dir: string, cache: boolean, opts: { stopAtEpoch?: number; name?: string } = {}) {
  process.env.TESSERA_ACTIVATION_CACHE = cache ? "1" : "0";
  const file = join(dir, `cache-${cache}.yaml`);
  writeFileSync(file, CONFIG);
  const runsDir = join(dir, opts.name ?? `runs-${cache}`);
  const { runDir } = await runExperiment({
    configFile: file,
    runsDir,
    cacheDir: false,
    ...(opts.stopAtEpoch ? { stopAtEpoch: opts.stopAtEpoch } : {}),
  });
  return { runDir, epochs: epochsOf(runDir) };
}

function epochsOf(runDir: string): EventOf<"epoch">[] {
  const events = readFileSync(join(runDir, "events.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as RunEvent);
  // A resumed run's superseded events stay in the log; the last epoch event per (stage, epoch) counts.
  const latest = new Map<string, EventOf<"epoch">>();
  for (const e of events) if (e.type === "epoch") latest.set(`${e.stage}/${e.epoch}`, e);
  return [...latest.values()];
}

const frozenShard = (dir: string) => readdirSync(dir).find((f) => /^frozen-[0-9a-f]{64}\.bin$/.test(f));
const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));

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

  it("links the frozen prefix between checkpoints; resume from them and export give the whole model", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-cache-e2e-"));
    const straight = await run(dir, true, { name: "straight" });
    // Stopped after the head stage's first epoch: its resume point and `last` were written split.
    const stopped = await run(dir, true, { name: "stopped", stopAtEpoch: 1 });
    const ckpts = join(stopped.runDir, "checkpoints");
    const shard = frozenShard(join(ckpts, "resume"))!;
    expect(shard).toBeDefined();
    expect(frozenShard(join(ckpts, "last"))).toBe(shard);
    expect(statSync(join(ckpts, "resume", shard)).ino).toBe(statSync(join(ckpts, "last", shard)).ino);
    expect(statSync(join(ckpts, "resume", "weights.bin")).size).toBeLessThan(
      statSync(join(ckpts, "resume", shard)).size,
    );

    process.env.TESSERA_ACTIVATION_CACHE = "1";
    await runExperiment({ resume: stopped.runDir, runsDir: join(dir, "stopped"), cacheDir: false });
    const resumed = epochsOf(stopped.runDir);
    expect(resumed.map((e) => [e.stage, e.epoch, e.valid_accuracy, e.valid_loss, e.train_loss])).toEqual(
      straight.epochs.map((e) => [e.stage, e.epoch, e.valid_accuracy, e.valid_loss, e.train_loss]),
    );
    for (const kind of ["best", "last"]) {
      const a = await loadCheckpoint(join(straight.runDir, "checkpoints", kind));
      const b = await loadCheckpoint(join(stopped.runDir, "checkpoints", kind));
      expect(weightsOf(b.model)).toEqual(weightsOf(a.model));
    }

    // The export is one self-contained weights.bin holding every weight of the last checkpoint.
    const out = join(dir, "export");
    const exported = await exportRun(stopped.runDir, out, { checkpoint: "last" });
    expect(exported.files.sort()).toEqual(["model.json", "tessera-model.json", "weights.bin"].sort());
    expect(readdirSync(out).some((f) => f.startsWith("frozen-"))).toBe(false);
    const fromExport = await tf.loadLayersModel(fileHandler(out));
    const fromCheckpoint = await loadCheckpoint(join(stopped.runDir, "checkpoints", "last"));
    expect(weightsOf(fromExport)).toEqual(weightsOf(fromCheckpoint.model));
  });
});

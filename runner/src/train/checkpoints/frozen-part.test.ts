/**
 * Checkpoints of a cached stage: the frozen prefix goes into a content-named shard that later
 * checkpoints hard-link instead of rewriting, and every folder still loads as the whole model.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as tf from "../../tf";
import { loadCheckpoint, saveCheckpoint } from "./io";
import { checkpointInfo, tinyCheckpointModel } from "./testing";
import { frozenPartOf, isFrozenShard, markFrozen } from "./frozen-part";

const tinyModel = () => tinyCheckpointModel({ filters: 4 });
const info = checkpointInfo();

/** The prefix's weight names, as the activation cache reports them. */
const prefixNames = (m: tf.LayersModel) =>
  new Set(m.layers.filter((l) => l.name.startsWith("conv1")).flatMap((l) => l.weights.map((w) => w.originalName)));

const shardOf = (dir: string) => readdirSync(dir).find(isFrozenShard);
const flat = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));

describe("checkpoints with a frozen part", () => {
  it("write the prefix once, link it from later checkpoints, and load back the whole model", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "tessera-frozen-"));
    const model = tinyModel();
    const unmark = markFrozen(model, { names: prefixNames(model), runDir });
    const last = join(runDir, "checkpoints", "last");
    const best = join(runDir, "checkpoints", "best");
    await saveCheckpoint(model, last, info);
    // The head trains; the prefix does not.
    const logits = model.getLayer("logits");
    logits.setWeights(logits.getWeights().map((w) => tf.add(w, 1)));
    await saveCheckpoint(model, last, { ...info, epoch: 2 });
    await saveCheckpoint(model, best, { ...info, epoch: 2 });

    const shard = shardOf(last)!;
    expect(shard).toMatch(/^frozen-[0-9a-f]{64}\.bin$/);
    expect(shardOf(best)).toBe(shard);
    // One file on disk: both folders name the same inode, which the rewrite of `last` kept alive.
    expect(statSync(join(best, shard)).ino).toBe(statSync(join(last, shard)).ino);
    expect(statSync(join(best, shard)).nlink).toBe(2);
    // weights.bin holds only what can change: the dense layer (4*3 + 3 floats).
    expect(statSync(join(best, "weights.bin")).size).toBe((4 * 3 + 3) * 4);
    const manifest = JSON.parse(readFileSync(join(best, "model.json"), "utf8")).weightsManifest as {
      paths: string[];
    }[];
    expect(manifest.map((g) => g.paths)).toEqual([[shard], ["weights.bin"]]);

    const loaded = await loadCheckpoint(best);
    expect(flat(loaded.model)).toEqual(flat(model));
    expect(loaded.info.epoch).toBe(2);
    unmark();
    expect(frozenPartOf(model)).toBeNull();
  });

  it("writes a new shard when a 'frozen' weight did change (the name is the content's hash)", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "tessera-frozen-"));
    const model = tinyModel();
    markFrozen(model, { names: prefixNames(model), runDir });
    const last = join(runDir, "checkpoints", "last");
    const best = join(runDir, "checkpoints", "best");
    await saveCheckpoint(model, last, info);
    const conv = model.getLayer("conv1_conv");
    conv.setWeights(conv.getWeights().map((w) => tf.mul(w, 2)));
    await saveCheckpoint(model, best, info);
    expect(shardOf(best)).not.toBe(shardOf(last));
    expect(statSync(join(best, shardOf(best)!)).nlink).toBe(1);
    expect(flat((await loadCheckpoint(best)).model)).toEqual(flat(model));
  });

  it("writes the plain one-shard folder when nothing is marked", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "tessera-frozen-"));
    const dir = join(runDir, "checkpoints", "last");
    await saveCheckpoint(tinyModel(), dir, info);
    expect(readdirSync(dir).sort()).toEqual(["checkpoint.json", "model.json", "weights.bin"]);
    expect(existsSync(join(runDir, "checkpoints", "last.staging-" + process.pid))).toBe(false);
  });
});

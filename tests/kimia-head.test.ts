/**
 * The replication's CI-sized regression check (real weights, real data): the head of an ImageNet
 * ResNet50 trained on its frozen features of a subset of the shared Kimia Path960 tiles, through
 * the real engine (`runExperiment`, the frozen-prefix activation cache, the run store), must reach
 * at least 90% validation accuracy. A missing tile folder skips it (fails under
 * TESSERA_REQUIRE_COMPONENTS=1); outside CI an unreachable registry skips it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runExperiment } from "../runner/src/train";
import { ACTIVATION_CACHE_FILE, type ActivationCacheRecord } from "../runner/src/train/activation-cache/cache";
import { ensureImagenet, WeightsUnreachableError } from "../runner/src/model/fetch";
import { missingComponent } from "./helpers/components";
import { IN_CI, KIMIA_DIR } from "./helpers/paths";

const PER_CLASS = 10;
let work: string;
let skipReason: string | null = null;

beforeAll(async () => {
  skipReason = await missingComponent("kimia");
  if (skipReason) return;
  try {
    await ensureImagenet("resnet50");
  } catch (error) {
    if (!(error instanceof WeightsUnreachableError) || IN_CI) throw error;
    skipReason = error.message;
    return;
  }
  work = mkdtempSync(join(tmpdir(), "tessera-kimia-head-"));
  // A CSV of the first PER_CLASS tiles of each class (sorted by name), absolute paths.
  const rows = ["file,label"];
  for (const cls of readdirSync(KIMIA_DIR)
    .filter((d) => /^[A-T]$/.test(d))
    .sort()) {
    const files = readdirSync(join(KIMIA_DIR, cls))
      .filter((f) => f.endsWith(".tif"))
      .sort()
      .slice(0, PER_CLASS);
    for (const f of files) rows.push(`${join(KIMIA_DIR, cls, f)},${cls}`);
  }
  writeFileSync(join(work, "subset.csv"), rows.join("\n") + "\n");
  writeFileSync(
    join(work, "kimia-head.yaml"),
    [
      "name: kimia-head-ci",
      "seed: 7",
      "backend: wasm",
      "data:",
      "  source: csv",
      "  path: subset.csv",
      "  split: { protocol: holdout, valid: 0.3, stratify: true }",
      "model: { backbone: resnet50, pretrained: imagenet, head: { dropout: 0.2 } }",
      "train:",
      "  batch_size: 16",
      "  optimizer: { name: adam, weight_decay: 0.01 }",
      "  stages:",
      "    - { name: head, trainable: [head], train_bn: false, size: 128, epochs: 8, lr: 3e-3, schedule: one_cycle }",
      "",
    ].join("\n"),
  );
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("Kimia Path960 head on real ResNet50 ImageNet features", () => {
  test("reaches >= 90% validation accuracy through the activation cache", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const started = Date.now();
    const result = await runExperiment({
      configFile: join(work, "kimia-head.yaml"),
      runsDir: join(work, "runs"),
      cacheDir: join(work, "cache"),
    });
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `kimia head: valid accuracy ${result.summary.final.valid_accuracy.toFixed(4)} ` +
        `(best ${result.summary.best?.value.toFixed(4)}) in ${seconds.toFixed(1)} s, ${PER_CLASS * 20} tiles`,
    );
    expect(result.status).toBe("finished");
    expect(result.summary.classes).toHaveLength(20);
    expect(result.summary.best?.value ?? 0).toBeGreaterThanOrEqual(0.9);
    // The head trained on cached frozen features, and the run folder says so.
    const records = JSON.parse(
      readFileSync(join(result.runDir, ACTIVATION_CACHE_FILE), "utf8"),
    ) as ActivationCacheRecord[];
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ stage: "head", cached_groups: ["early", "late"], items: PER_CLASS * 20 });
  });
});

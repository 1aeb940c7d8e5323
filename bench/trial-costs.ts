/**
 * A sweep trial's fixed costs on the Kimia model (ResNet50 ImageNet, head stage, 20 classes), in
 * one process on the backend a trial gets: `auto`'s probe vs a handed backend, reading the
 * pretrained weights, building the graph and loading them, fingerprinting the frozen prefix, and
 * one checkpoint written whole vs split (frozen prefix linked: train/checkpoints/frozen-part.ts).
 * Each checkpoint line is the mean of `--saves` writes (an epoch writes `last`, the resume point
 * and usually `best`).
 *
 *   pnpm exec tsx bench/trial-costs.ts [--threads 1] [--saves 3]
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { selectBackend } from "../runner/src/backend";
import * as tf from "../runner/src/tf";
import { buildModel, setTrainable } from "../runner/src/model";
import { readArtifacts } from "../runner/src/model/fileio";
import { resolvePretrained } from "../runner/src/model/pretrained";
import { cutAtFrozenPrefix } from "../runner/src/train/activation-cache/model-cut";
import { saveCheckpoint, type CheckpointInfo } from "../runner/src/train/checkpoints/io";
import { markFrozen } from "../runner/src/train/checkpoints/frozen-part";
import { loadConfig } from "../runner/src/config";

const { values: o } = parseArgs({
  options: {
    threads: { type: "string", default: "1" },
    saves: { type: "string", default: "3" },
    "backend-only": { type: "boolean", default: false },
  },
});
const threads = Number(o.threads);
const saves = Number(o.saves);
const root = join(import.meta.dirname, "..");
const timed = async <T>(label: string, f: () => Promise<T> | T): Promise<T> => {
  const t0 = performance.now();
  const out = await f();
  console.log(`  ${label.padEnd(44)} ${((performance.now() - t0) / 1000).toFixed(2).padStart(7)} s`);
  return out;
};

if (o["backend-only"]) {
  // A fresh process per measurement: `auto` is cheap once any backend has started.
  const t0 = performance.now();
  const started = await selectBackend("auto", { threads });
  console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000, name: started.name }));
  process.exit(0);
}
const backendIn = (env: Record<string, string>) => {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", import.meta.filename, "--backend-only", "--threads", String(threads)],
    {
      env: { ...process.env, ...env },
      encoding: "utf8",
    },
  );
  const line = r.stdout.trim().split("\n").at(-1) ?? "";
  if (r.status !== 0) throw new Error(`backend measurement failed: ${r.stderr.slice(-500)}`);
  return JSON.parse(line) as { seconds: number; name: string };
};
console.log(`trial fixed costs, ResNet50 ImageNet head stage, ${threads} thread(s), shared machine`);
const probed = backendIn({});
console.log(
  `  ${"backend auto, probed (fresh process)".padEnd(44)} ${probed.seconds.toFixed(2).padStart(7)} s  -> ${probed.name}`,
);
const handed = backendIn({ TESSERA_AUTO_BACKEND: probed.name === "tensorflow" ? "tensorflow" : probed.name });
console.log(
  `  ${"backend auto, handed (fresh process)".padEnd(44)} ${handed.seconds.toFixed(2).padStart(7)} s  -> ${handed.name}`,
);
await selectBackend(probed.name === "tensorflow" ? "tensorflow" : (probed.name as "wasm"), { threads });

const { config } = await loadConfig(join(root, "configs/kimia960-resnet50.yaml"), { set: [], sweepTrials: false });
const pretrained = await resolvePretrained(config.model.pretrained, config.model.backbone, {});
await timed("read pretrained weights (model.json + shards)", () => readArtifacts(pretrained.dir));
const built = await timed("buildModel (read + graph + load by name)", () => buildModel(config.model, 20, { seed: 1 }));
const cut = await timed("set trainable + cut at the frozen prefix", () => {
  setTrainable(built, ["head"], false);
  const c = cutAtFrozenPrefix(built, ["head"]);
  if ("reason" in c) throw new Error(c.reason);
  return c;
});
await timed("prefix pass, 1 blank image (the shape probe no longer run)", () =>
  tf.tidy(() => cut.prefix.predict(tf.zeros([1, 128, 128, 3])) as tf.Tensor).data(),
);
await timed("fingerprint the frozen prefix (sha256)", async () => {
  const hash = createHash("sha256");
  for (const w of cut.prefix.weights) {
    const v = (await w.read().data()) as Float32Array;
    hash.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
  return hash.digest("hex");
});

const info0: CheckpointInfo = {
  format: 1,
  stage: "head",
  epoch: 1,
  step: 1,
  fold: null,
  monitor: "valid.accuracy",
  value: 0,
  classes: Array.from({ length: 20 }, (_, i) => String(i)),
  preprocessing: built.preprocessing,
  size: 128,
  time: new Date().toISOString(),
};
const runDir = mkdtempSync(join(tmpdir(), "tessera-trial-costs-"));
const kinds = ["last", "resume", "best"];
await timed(`${saves} checkpoints, whole model`, async () => {
  for (let i = 0; i < saves; i++) await saveCheckpoint(built.model, join(runDir, "whole", kinds[i % 3]!), info0);
});
const unmark = markFrozen(built.model, {
  names: new Set(cut.prefix.weights.map((w) => w.originalName)),
  runDir: join(runDir, "split"),
});
await timed(`${saves} checkpoints, split (1st writes the prefix)`, async () => {
  for (let i = 0; i < saves; i++)
    await saveCheckpoint(built.model, join(runDir, "split", "checkpoints", kinds[i % 3]!), info0);
});
await timed(`${saves} checkpoints, split (prefix already on disk)`, async () => {
  for (let i = 0; i < saves; i++)
    await saveCheckpoint(built.model, join(runDir, "split", "checkpoints", kinds[i % 3]!), info0);
});
unmark();
rmSync(runDir, { recursive: true, force: true });

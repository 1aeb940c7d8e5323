/**
 * `tessera serve` throughput on loopback: requests/s and p50/p95 latency at concurrency 1, 8 and
 * 32 for a ResNet50 (random weights, 10 classes) at 224 px, tfjs-wasm against ONNX Runtime, one
 * process, same thread count, same batching settings. Each request is one real image file
 * (`--image`, default the first Kimia tile).
 *
 *   pnpm exec tsx bench/serve.ts [--size 224] [--concurrency 1,8,32] [--requests 3,8,32] [--threads 2]
 *     [--max-batch 16] [--max-wait 5] [--image file]
 */
import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import * as tf from "../runner/src/tf";
import { selectBackend } from "../runner/src/backend";
import { buildModel } from "../runner/src/model";
import { encodeOnnx, toOnnx } from "../runner/src/export/onnx";
import { ortEngine, startServer, tfjsEngine, type Engine, type EngineMeta } from "../runner/src/serve";

const { values: o } = parseArgs({
  options: {
    size: { type: "string", default: "224" },
    concurrency: { type: "string", default: "1,8,32" },
    requests: { type: "string", default: "3,8,32" },
    threads: { type: "string", default: "2" },
    "max-batch": { type: "string", default: "16" },
    "max-wait": { type: "string", default: "5" },
    image: { type: "string", default: "../shared/data/kimia-path960/A/A10.tif" },
  },
});
const size = Number(o.size);
const threads = Number(o.threads);
const levels = o.concurrency.split(",").map(Number);
const counts = o.requests.split(",").map(Number);

await selectBackend("wasm", { threads });
const classes = Array.from({ length: 10 }, (_, i) => `c${i}`);
const groups = { all: ["stem", "conv2", "conv3", "conv4", "conv5", "head"] as const };
const built = await buildModel(
  {
    backbone: "resnet50",
    pretrained: "none",
    width: 1,
    head: { dropout: 0, hidden: 0 },
    groups: { all: [...groups.all] },
  },
  classes.length,
);
const meta: EngineMeta = { classes, size, resize: "squish", normalize: "imagenet", provenance: { bench: true } };
// A real tile (a Kimia TIFF by default): decoding is part of what a request costs.
const image = readFileSync(o.image);

async function measure(engine: Engine): Promise<void> {
  const { url, app } = await startServer(engine, {
    port: 0,
    maxBatch: Number(o["max-batch"]),
    maxWaitMs: Number(o["max-wait"]),
    maxQueue: 1024,
  });
  const once = async () => {
    const t = performance.now();
    const res = await fetch(`${url}/predict`, {
      method: "POST",
      body: image,
      headers: { "content-type": "image/tiff" },
    });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
    await res.json();
    return performance.now() - t;
  };
  await once(); // warm-up
  for (const [i, c] of levels.entries()) {
    const total = counts[i] ?? c;
    const latencies: number[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: c }, async () => {
        while (next++ < total) latencies.push(await once());
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
    console.log(
      `  ${engine.name.padEnd(16)} c=${String(c).padStart(2)}  ${(total / seconds).toFixed(2).padStart(6)} req/s` +
        `  p50 ${pct(0.5).toFixed(0).padStart(6)} ms  p95 ${pct(0.95).toFixed(0).padStart(6)} ms  (${total} requests)`,
    );
  }
  await app.close();
}

console.log(
  `serve bench: resnet50 ${size}px, ${threads} threads, max batch ${o["max-batch"]}, max wait ${o["max-wait"]} ms`,
);
const onnxBytes = encodeOnnx(toOnnx(built.model, { size, bake: "imagenet" }));
await measure(await ortEngine(onnxBytes, true, meta, threads));
await measure(tfjsEngine(built.model, meta));
tf.disposeVariables();

/**
 * What `train.recompute` buys and costs on the wasm backend: one whole-network ResNet-50 training
 * step (`trainStep`, Adam, every group trainable, BatchNorm training) per child process — the wasm
 * heap only grows, so its size after the step is the step's peak — with and without recomputation,
 * and the step time of both side by side at a small batch. Random init and random pixels: memory
 * and time do not depend on them. The estimate (`estimateMemory`) is printed beside each row.
 *
 *   pnpm exec tsx bench/recompute.ts [--size 224] [--batches 4,8,16] [--time-batch 2] [--steps 2] [--threads 2]
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import * as tf from "../runner/src/tf";
import { prepareWasmBackend } from "../runner/src/backend/wasm";
import { buildModel, estimateMemory, setTrainable, trainableVariablesByGroup } from "../runner/src/model";
import { GroupOptimizer } from "../runner/src/train/loop/optim";
import { trainStep } from "../runner/src/train/loop/step";

const { values: o } = parseArgs({
  options: {
    size: { type: "string", default: "224" },
    batches: { type: "string", default: "4,8,16" },
    "time-batch": { type: "string", default: "2" },
    steps: { type: "string", default: "2" },
    threads: { type: "string", default: "2" },
    child: { type: "string" },
  },
});
const size = Number(o.size);

/** One child: `--child recompute,batch,steps` -> one JSON line. */
async function child(spec: string): Promise<void> {
  const [rc, batchStr, stepsStr] = spec.split(",");
  const recompute = rc === "1";
  const batch = Number(batchStr);
  const steps = Number(stepsStr);
  await prepareWasmBackend({ threads: Number(o.threads) });
  const built = await buildModel(
    {
      backbone: "resnet50",
      pretrained: "none",
      width: 1,
      head: { dropout: 0, hidden: 0 },
      groups: { body: ["stem", "conv2", "conv3", "conv4", "conv5"], head: ["head"] },
    },
    10,
  );
  setTrainable(built, ["body", "head"], true);
  const variables = new Map(
    [...trainableVariablesByGroup(built)].map(([g, vs]) => [g, vs.map((v) => v.read() as tf.Variable)]),
  );
  const optimizer = new GroupOptimizer({
    name: "adam",
    weight_decay: 0,
    momentum: 0.9,
    beta1: 0.9,
    beta2: 0.99,
    eps: 1e-5,
  });
  const x = tf.randomUniform([batch, size, size, 3]);
  const y = tf.randomUniform([batch], 0, 10, "int32") as tf.Tensor1D;
  const step = () =>
    trainStep({
      model: built.model,
      x,
      y,
      numClasses: 10,
      variables,
      optimizer,
      lrs: { body: 1e-4, head: 1e-3 },
      mom: null,
      microBatch: batch,
      recompute,
    });
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
  }
  const heap = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;
  console.log(
    JSON.stringify({ recompute, batch, ok: true, wasm_heap_mib: Math.round(heap / 2 ** 20), step_ms: times }),
  );
}

function run(recompute: boolean, batch: number, steps: number) {
  const res = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      process.argv[1]!,
      ...process.argv.slice(2),
      "--child",
      `${recompute ? 1 : 0},${batch},${steps}`,
    ],
    { encoding: "utf8", maxBuffer: 1 << 26 },
  );
  const line = res.stdout.split("\n").find((l) => l.startsWith("{"));
  const est = estimateMemory({ backbone: "resnet50", width: 1, size, batch, mode: "train", recompute });
  const estimate_mib = Math.round(est.total / 2 ** 20);
  if (line) return { ...JSON.parse(line), estimate_mib };
  const why = /Aborted\([^)]*\)|out of memory|RangeError[^\n]*/i.exec(res.stderr)?.[0] ?? `exit ${res.status}`;
  return { recompute, batch, ok: false, error: why, estimate_mib };
}

if (o.child) {
  await child(o.child);
} else {
  console.log(`ResNet-50 at ${size} px, whole network, wasm, ${o.threads} threads`);
  for (const batch of o.batches.split(",").map(Number)) {
    for (const recompute of [false, true]) console.log(JSON.stringify(run(recompute, batch, 1)));
  }
  const tb = Number(o["time-batch"]);
  // Warm-up step + timed steps, both paths in this one run so the ratio shares the machine's load.
  const timed = [false, true].map((rc) => run(rc, tb, Number(o.steps) + 1));
  const mean = (r: { step_ms?: number[] }) => {
    const t = (r.step_ms ?? []).slice(1);
    return t.reduce((a, b) => a + b, 0) / Math.max(1, t.length);
  };
  for (const r of timed) console.log(JSON.stringify(r));
  console.log(
    `step time at batch ${tb}: plain ${mean(timed[0]!).toFixed(0)} ms, recompute ${mean(timed[1]!).toFixed(0)} ms (x${(mean(timed[1]!) / mean(timed[0]!)).toFixed(2)})`,
  );
}

/**
 * The GPU kit's one measurement (bundled by build.ts into the kit's `bench.mjs`): a ResNet
 * training step on the tfjs `webgpu` backend, timed by the same code as bench/train-step.ts, printed
 * as one JSON line with the adapter that ran it. Errors are a JSON line too, so run.sh's output
 * stays one line per case whatever happens.
 *
 *   node bench.mjs --case NAME --model resnet50 --size 224 --batch 32 [--steps 3] [--width 1]
 */
import { parseArgs } from "node:util";
import { prepareWebgpuBackend, releaseWebgpu } from "../../runner/src/backend/webgpu";
import { measureTfjs } from "../train-step-tfjs";

const { values: o } = parseArgs({
  options: {
    case: { type: "string", default: "" },
    model: { type: "string", default: "resnet50" },
    size: { type: "string", default: "224" },
    batch: { type: "string", default: "32" },
    steps: { type: "string", default: "3" },
    width: { type: "string", default: "1" },
  },
});
const spec = {
  case: o.case,
  framework: "tfjs-webgpu",
  model: o.model,
  px: Number(o.size),
  batch: Number(o.batch),
  steps: Number(o.steps),
  width: Number(o.width),
};

try {
  const info = await prepareWebgpuBackend({ allowFallback: true });
  const r = await measureTfjs({
    model: spec.model,
    size: spec.px,
    backend: "webgpu",
    batch: spec.batch,
    steps: spec.steps,
    threads: 1,
    mode: "train",
    profile: false,
    width: spec.width,
  });
  const { vendor, architecture, device, description, driver } = info;
  console.log(
    JSON.stringify({
      ...spec,
      images_per_s: r.images_per_s,
      step_ms: r.step_ms,
      peak_rss_mb: r.peak_rss_mb,
      adapter: { vendor, architecture, device, description, driver },
      // A software adapter (lavapipe, SwiftShader) is a CPU: its figure is not a GPU figure.
      software: info.isFallbackAdapter,
    }),
  );
  releaseWebgpu();
  process.exit(0);
} catch (error) {
  console.log(JSON.stringify({ ...spec, error: (error as Error).message.slice(0, 400) }));
  process.exit(1);
}

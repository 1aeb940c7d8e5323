/**
 * Memory estimate for a (backbone, width, image size, batch) so a configuration that cannot fit
 * the wasm backend's 4 GiB heap (wasm32) fails with a clear message instead of a bare `Aborted()`.
 *
 * Activations are counted exactly from the architecture (every layer output of one image); the
 * training multiplier was calibrated on the measured limits of this project's machines (tfjs
 * 4.22 wasm, ResNet-50: trains at batch 8 at 128 px and batch 4 at 224 px, aborts at 16 / 8).
 */
import {
  RESNET_PARTS,
  type BackboneName,
  type ResNetPart,
  type ResolvedConfig,
  type ResolvedStage,
} from "@tessera/shared";
import { ExitError } from "../errors";
import { RESNET_SPECS, STAGE_FILTERS, scaledChannels } from "./resnet-spec";

/** wasm32 address space. */
export const WASM_HEAP_BYTES = 4 * 1024 ** 3;
/** What a step may use: the estimate ran up to 5% under the measured heap (README). */
const WASM_USABLE_BYTES = 0.95 * WASM_HEAP_BYTES;

/**
 * Bytes per stored activation element when training: the forward output kept for the backward
 * pass, its gradient, and the kernels' temporaries (im2col, BN). Calibrated, see above.
 */
const TRAIN_BYTES_PER_ACTIVATION = 4 * 6;
/** Per weight when training with Adam: value, gradient, two moments (float32). */
const TRAIN_BYTES_PER_PARAM = 4 * 4;

/**
 * One recomputation segment (the stem or a residual block, as train/loop/recompute.ts cuts them):
 * floats of all its layer outputs (`taped`) and of its output alone (`out`, kept between passes).
 */
export interface SegmentCount {
  part: ResNetPart;
  taped: number;
  out: number;
}

/** Float counts of one image's activations and of the parameters. */
export function countResNet(
  backbone: BackboneName,
  width: number,
  size: number,
): {
  activations: number;
  byPart: Record<ResNetPart, number>;
  params: number;
  peakLayer: number;
  segments: SegmentCount[];
} {
  const spec = RESNET_SPECS[backbone];
  const byPart: Record<ResNetPart, number> = { stem: 0, conv2: 0, conv3: 0, conv4: 0, conv5: 0, head: 0 };
  let part: ResNetPart = "stem";
  let params = 0;
  let peakLayer = 0;
  const segments: SegmentCount[] = [{ part: "stem", taped: 0, out: 0 }];
  const out = (h: number, c: number, copies: number) => {
    byPart[part] += h * h * c * copies;
    segments.at(-1)!.taped += h * h * c * copies;
    segments.at(-1)!.out = h * h * c;
    peakLayer = Math.max(peakLayer, h * h * c);
  };
  const conv = (k: number, cin: number, cout: number) => (params += k * k * cin * cout + cout);
  const bn = (c: number) => (params += 4 * c);

  const c1 = scaledChannels(64, width);
  let h = Math.floor((size - 1) / 2) + 1;
  conv(7, 3, c1);
  bn(c1);
  out(h, c1, 3);
  h = Math.floor((h - 1) / 2) + 1;
  out(h, c1, 1);
  let cin = c1;
  spec.blocks.forEach((count, s) => {
    part = `conv${s + 2}` as ResNetPart;
    const f = scaledChannels(STAGE_FILTERS[s] ?? 64, width);
    const cout = spec.block === "bottleneck" ? 4 * f : f;
    for (let b = 1; b <= count; b++) {
      segments.push({ part, taped: 0, out: 0 });
      const stride = b === 1 && s > 0 ? 2 : 1;
      const h2 = Math.floor((h - 1) / stride) + 1;
      if (b === 1 && (stride !== 1 || cin !== cout)) {
        conv(1, cin, cout);
        bn(cout);
        out(h2, cout, 2);
      }
      if (spec.block === "bottleneck") {
        conv(1, cin, f);
        conv(3, f, f);
        conv(1, f, cout);
        [f, f, cout].forEach(bn);
        out(h2, f, 6);
        out(h2, cout, 2);
      } else {
        conv(3, cin, f);
        conv(3, f, f);
        [f, f].forEach(bn);
        out(h2, f, 5);
      }
      out(h2, cout, 2);
      h = h2;
      cin = cout;
    }
  });
  const activations = Object.values(byPart).reduce((a, b) => a + b, 0);
  return { activations, byPart, params, peakLayer, segments };
}

/** An estimate in bytes, split by what takes it. */
export interface MemoryEstimate {
  params: number;
  activations: number;
  total: number;
}

/** Estimated bytes to train (or run inference) on one batch. */
export function estimateMemory(opts: {
  backbone: BackboneName;
  width: number;
  size: number;
  batch: number;
  mode: "train" | "infer";
  /**
   * First part whose forward runs under the gradient tape (tfjs keeps every recorded kernel's
   * saved tensors until the gradients are taken, frozen or not); earlier parts count only as
   * inference. "stem" unless a frozen prefix runs outside the tape (activation cache).
   * @default "stem"
   */
  fromPart?: ResNetPart;
  /** `train.recompute`: only block outputs stay between the passes, one block is taped at a time. */
  recompute?: boolean;
}): MemoryEstimate {
  const c = countResNet(opts.backbone, opts.width, opts.size);
  const from = RESNET_PARTS.indexOf(opts.fromPart ?? "stem");
  const taped = RESNET_PARTS.filter((_, i) => i >= from).reduce((sum, p) => sum + c.byPart[p], 0);
  const params = c.params * (opts.mode === "train" ? TRAIN_BYTES_PER_PARAM : 4);
  // Inference keeps a few live layer outputs (a block's input, branch and shortcut) at a time.
  const inference = c.peakLayer * 4 * 4;
  let perImage = inference;
  if (opts.mode === "train" && opts.recompute) {
    // Kept block outputs (float32) + one block's tape + the gradient flowing in and out of it.
    const segs = c.segments.filter((s) => RESNET_PARTS.indexOf(s.part) >= from);
    const kept = segs.reduce((sum, s) => sum + s.out, 0) * 4;
    const block = Math.max(0, ...segs.map((s) => s.taped * TRAIN_BYTES_PER_ACTIVATION + 2 * s.out * 4));
    perImage = Math.max(kept + block, c.peakLayer * 16);
  } else if (opts.mode === "train") {
    perImage = Math.max(taped * TRAIN_BYTES_PER_ACTIVATION, c.peakLayer * 16);
  }
  const activations = opts.batch * perImage;
  return { params, activations, total: params + activations };
}

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

/** What {@link memoryProblem} and {@link checkMemoryFits} take. */
export interface MemoryCheckOptions {
  backbone: BackboneName;
  width: number;
  size: number;
  batch: number;
  backend: string;
  mode?: "train" | "infer";
  /** Which setting the message tells the user to lower. @default "train.micro_batch" */
  batchSetting?: string;
  /** Named at the start of the message. */
  stage?: string;
  /** See {@link estimateMemory}. */
  fromPart?: ResNetPart;
  /** See {@link estimateMemory}. */
  recompute?: boolean;
}

/**
 * The largest batch whose estimate fits `budget` bytes (0 when even one image does not). The
 * estimate is affine in the batch (weights + batch x per-image activations), so it is solved
 * directly: counting down from a batch of 1e9 one at a time took minutes.
 */
export function largestFittingBatch(opts: Omit<MemoryCheckOptions, "batch" | "backend">, budget: number): number {
  const mode = opts.mode ?? "train";
  const one = estimateMemory({ ...opts, batch: 1, mode });
  if (one.activations <= 0) return Number.MAX_SAFE_INTEGER;
  return Math.max(0, Math.floor((budget - one.params) / one.activations));
}

/**
 * The estimate and, when the configuration cannot fit the backend's memory, the message saying so
 * and what to change (only the wasm backend has a hard limit; other backends always fit).
 */
export function memoryProblem(opts: MemoryCheckOptions): { estimate: MemoryEstimate; problem: string | null } {
  const mode = opts.mode ?? "train";
  const estimate = estimateMemory({ ...opts, mode });
  if (opts.backend !== "wasm" || estimate.total <= WASM_USABLE_BYTES) return { estimate, problem: null };
  const fits = Math.min(opts.batch - 1, largestFittingBatch(opts, WASM_USABLE_BYTES));
  const what = mode === "train" ? "train" : "run inference";
  const fix =
    fits > 0
      ? `set ${opts.batchSetting ?? "train.micro_batch"} to ${fits} or less (gradients accumulate to the same batch)${opts.mode !== "infer" && !opts.recompute ? `, set train.recompute: true (about ${recomputeFits({ ...opts, mode })} fit)` : ""}, or lower the stage's size`
      : `lower the stage's size or pick a smaller backbone: even one image does not fit`;
  const problem =
    `${opts.stage ? `stage "${opts.stage}": ` : ""}${opts.backbone} at ${opts.size} px with a batch of ${opts.batch} needs about ${gib(estimate.total)} to ${what} ` +
    `(${gib(estimate.activations)} activations + ${gib(estimate.params)} weights), more than the wasm backend's ` +
    `${gib(WASM_HEAP_BYTES)} heap: ${fix}; or use a native backend (tensorflow, tensorflow-gpu).`;
  return { estimate, problem };
}

/** Throws {@link memoryProblem}'s message as an ExitError when the configuration cannot fit. */
export function checkMemoryFits(opts: MemoryCheckOptions): MemoryEstimate {
  const { estimate, problem } = memoryProblem(opts);
  if (problem !== null) throw new ExitError(problem);
  return estimate;
}

/** One stage's memory check, as `plan` reports it. */
export interface StageMemory {
  stage: string;
  batch: number;
  bytes: number;
  problem: string | null;
}

/** The largest batch that fits the wasm heap with recomputation (for the error's advice). */
function recomputeFits(opts: Omit<MemoryCheckOptions, "batch" | "backend">): number {
  return Math.min(4096, largestFittingBatch({ ...opts, mode: "train", recompute: true }, WASM_USABLE_BYTES));
}

/**
 * {@link memoryProblem} for every stage of a config, at the batch one optimiser step really runs
 * (the micro-batch when gradients accumulate).
 */
export function configMemory(
  config: ResolvedConfig,
  backend: string,
  opts: {
    /** Where each stage's taped forward starts (a stage whose frozen prefix is cached: its first trained part). */
    fromPart?: (stage: ResolvedStage) => ResNetPart;
  } = {},
): StageMemory[] {
  return config.train.stages.map((stage) => {
    const batch = Math.min(stage.batch_size, config.train.micro_batch);
    const { estimate, problem } = memoryProblem({
      backbone: config.model.backbone,
      width: config.model.width,
      size: stage.size,
      batch,
      backend,
      stage: stage.name,
      fromPart: opts.fromPart?.(stage) ?? "stem",
      recompute: config.train.recompute,
    });
    return { stage: stage.name, batch, bytes: estimate.total, problem };
  });
}

/** Throws the first stage's problem of {@link configMemory}. Call it once the backend is known. */
export function checkConfigMemory(
  config: ResolvedConfig,
  backend: string,
  opts: { fromPart?: (stage: ResolvedStage) => ResNetPart } = {},
): void {
  const problem = configMemory(config, backend, opts).find((s) => s.problem !== null)?.problem;
  if (problem) throw new ExitError(problem);
}

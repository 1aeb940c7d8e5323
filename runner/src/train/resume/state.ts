/**
 * The resume point: everything a killed or interrupted run needs to continue exactly where it
 * was — weights (a tfjs layers model), the optimizer's moment buffers, and the loop position
 * (fold, stage, epoch, batch, step, running loss, best so far, the stage's LRs). Written as one
 * folder, `checkpoints/resume/` (a checkpoint plus the optimizer state: checkpoints/layout.ts),
 * atomically (`replaceDirAtomic`), after every epoch and on
 * an interrupt; data order, augmentation and dropout are functions of the seed and this position,
 * so nothing else is needed.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { RUN_FILES } from "@tessera/shared";
import * as tf from "../../tf";
import { loadCheckpoint, writeCheckpointInto, type CheckpointInfo } from "../checkpoints/io";
import { RESUME_FILES, resumeDir } from "../checkpoints/layout";
import { replaceDirAtomic } from "../../runs/atomic";
import { CheckpointDamagedError, readCheckpointJson } from "../checkpoints/check";
import type { GroupOptimizer } from "../loop/optim";

/** Folder of the resume point inside a run folder. */
export const RESUME_DIR = RUN_FILES.resume;
/**
 * The resume point before the current one, kept so a damaged current one (a full disk, a bad
 * sector) still leaves a place to continue from: one epoch earlier, the same run.
 */
export const PREVIOUS_RESUME_DIR = `${RUN_FILES.checkpoints}/resume.prev`;

/** Where the loop was. `epoch`/`batch`: the epoch in progress and how many of its batches are done. */
export interface TrainPosition {
  format: 1;
  fold_index: number;
  fold: number | null;
  stage_index: number;
  stage: string;
  /** 1-based; `stage epochs + 1` once the stage's last epoch has finished. */
  epoch: number;
  /** Batches done in `epoch`; 0 at an epoch boundary. */
  batch: number;
  /** Optimiser steps done in the stage. */
  step: number;
  /** Sum of the batch losses of `epoch` so far (the epoch's train loss is its mean). */
  loss_sum: number;
  /** The stage's best epoch so far by the checkpoint monitor. */
  stage_best: { epoch: number; value: number } | null;
  /** The run's (or fold's) best so far, which decides when `best` is rewritten. */
  run_best: { stage: string; epoch: number; value: number } | null;
  /** Max LR of every group for this stage (the LR finder's result included). */
  lrs: Record<string, number>;
  /** Early stopping's counters, when it is on. */
  early_stopping: { best: number | null; wait: number } | null;
  /** Seq of the last event this state covers; a resume supersedes everything after it. */
  last_seq: number;
  /** Attempt that wrote it. */
  attempt: number;
}

/** The optimizer's moment buffers keyed by `layer/weightIndex` (variable names change between processes). */
export type OptimizerSnapshot = Map<string, { m: tf.Tensor; v: tf.Tensor | null; step: number }>;

/** `variable name -> layer/index` for every weight of `model`, and back. */
function weightKeys(model: tf.LayersModel): { toKey: Map<string, string>; toName: Map<string, string> } {
  const toKey = new Map<string, string>();
  const toName = new Map<string, string>();
  for (const layer of model.layers) {
    layer.weights.forEach((w, i) => {
      const name = (w.read() as tf.Variable).name;
      toKey.set(name, `${layer.name}/${i}`);
      toName.set(`${layer.name}/${i}`, name);
    });
  }
  return { toKey, toName };
}

interface SlotEntry {
  key: string;
  shape: number[];
  step: number;
  has_v: boolean;
  /** Offset in optimizer.bin, in float32 elements. */
  offset: number;
}

/** Writes `position`, the weights and the optimizer state as `runDir/checkpoints/resume`, atomically. */
export async function saveResumePoint(opts: {
  runDir: string;
  model: tf.LayersModel;
  optimizer: GroupOptimizer;
  position: TrainPosition;
  info: CheckpointInfo;
}): Promise<void> {
  await replaceDirAtomic(
    resumeDir(opts.runDir),
    async (staging) => {
      await writeCheckpointInto(opts.model, staging, opts.info);
      await writeOptimizer(staging, opts.model, opts.optimizer);
      writeSmall(join(staging, RESUME_FILES.state), opts.position);
    },
    { keepPrevious: join(opts.runDir, PREVIOUS_RESUME_DIR) },
  );
}

/** The optimizer's moment buffers, keyed by weight (not variable) name so another model instance can take them. */
async function writeOptimizer(staging: string, model: tf.LayersModel, optimizer: GroupOptimizer): Promise<void> {
  const { toKey } = weightKeys(model);
  const snap = optimizer.snapshot();
  const slots: SlotEntry[] = [];
  const fd = openSync(join(staging, RESUME_FILES.optimizerBin), "w");
  try {
    let offset = 0;
    for (const [name, s] of snap) {
      const key = toKey.get(name);
      if (!key) throw new Error(`internal: optimizer slot ${name} is not a weight of the model`);
      const parts = s.v ? [s.m, s.v] : [s.m];
      for (const t of parts) {
        const data = (await t.data()) as Float32Array;
        writeSync(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      }
      slots.push({ key, shape: s.m.shape, step: s.step, has_v: s.v !== null, offset });
      offset += s.m.size * parts.length;
      tf.dispose(parts);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  writeSmall(join(staging, RESUME_FILES.optimizer), { format: 1, slots });
}

function writeSmall(file: string, value: unknown): void {
  const fd = openSync(file, "w");
  try {
    writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A loaded resume point. `applyTo` copies its weights into a model and gives its optimizer state. */
export interface ResumePoint {
  dir: string;
  position: TrainPosition;
  info: CheckpointInfo;
  /** Sets `model`'s weights from the checkpoint (layer by layer, by name). */
  loadWeightsInto(model: tf.LayersModel): void;
  /** The optimizer state keyed by `model`'s current variable names (give it to `GroupOptimizer.restore`). */
  optimizerFor(model: tf.LayersModel): OptimizerSnapshot;
  dispose(): void;
}

const DAMAGED = "tessera run --resume cannot continue from it";

/**
 * Finds the run's resume point, or null when none was written (killed in its first epoch). A
 * folder left aside by a swap that a kill interrupted (`resume.old-<pid>`) is used when `resume`
 * itself is missing; half-written staging folders are ignored (and removed). A damaged one is
 * passed over for the next candidate (the one set aside, then `resume.prev`), and `onFallback`
 * says so; when none is good the first damage is thrown, saying the run must start again.
 */
export async function loadResumePoint(
  runDir: string,
  opts: { onFallback?: (damage: CheckpointDamagedError, used: ResumePoint) => void } = {},
): Promise<ResumePoint | null> {
  const target = resumeDir(runDir);
  const parent = join(runDir, RUN_FILES.checkpoints);
  const siblings = existsSync(parent) ? readdirSync(parent) : [];
  for (const name of siblings) {
    if (name.startsWith("resume.staging-")) rmSync(join(parent, name), { recursive: true, force: true });
  }
  const candidates = [
    target,
    ...siblings.filter((n) => n.startsWith("resume.old-")).map((n) => join(parent, n)),
    join(runDir, PREVIOUS_RESUME_DIR),
  ].filter((d) => existsSync(d));
  let firstDamage: CheckpointDamagedError | null = null;
  for (const dir of candidates) {
    try {
      const point = await openResumePoint(dir);
      if (firstDamage) opts.onFallback?.(firstDamage, point);
      return point;
    } catch (error) {
      if (!(error instanceof CheckpointDamagedError)) throw error;
      firstDamage ??= error;
    }
  }
  if (firstDamage) {
    throw new CheckpointDamagedError(
      firstDamage.file,
      firstDamage.problem,
      `${DAMAGED}, and there is no earlier good resume point: start the run again (tessera run <config>)`,
    );
  }
  return null;
}

/** Reads one resume point folder, checking every file before tfjs sees it. */
async function openResumePoint(dir: string): Promise<ResumePoint> {
  const stateFile = join(dir, RESUME_FILES.state);
  const position = readCheckpointJson<TrainPosition>(stateFile, DAMAGED);
  if (typeof position.stage !== "string" || typeof position.epoch !== "number" || typeof position.last_seq !== "number")
    throw new CheckpointDamagedError(stateFile, "stage, epoch or last_seq missing", DAMAGED);
  const optimizerFile = join(dir, RESUME_FILES.optimizer);
  const { slots } = readCheckpointJson<{ slots: SlotEntry[] }>(optimizerFile, DAMAGED);
  if (!Array.isArray(slots)) throw new CheckpointDamagedError(optimizerFile, "no slots list", DAMAGED);
  const binFile = join(dir, RESUME_FILES.optimizerBin);
  const bin = existsSync(binFile) ? readFileSync(binFile) : null;
  const need = slots.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * (s.has_v ? 2 : 1) * 4, 0);
  if (!bin || bin.byteLength !== need) {
    const problem = bin ? `${bin.byteLength} bytes, the optimizer state needs ${need}` : "missing";
    throw new CheckpointDamagedError(binFile, problem, DAMAGED);
  }
  const floats = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  const { model: saved, info } = await loadCheckpoint(dir, DAMAGED);
  return {
    dir,
    position,
    info,
    loadWeightsInto(model) {
      const byName = new Map(saved.layers.map((l) => [l.name, l]));
      for (const layer of model.layers) {
        if (layer.weights.length === 0) continue;
        const source = byName.get(layer.name);
        if (!source) throw new Error(`${dir}: the checkpoint has no layer ${layer.name}`);
        layer.setWeights(source.getWeights());
      }
    },
    optimizerFor(model) {
      const { toName } = weightKeys(model);
      const out: OptimizerSnapshot = new Map();
      for (const s of slots) {
        const name = toName.get(s.key);
        if (!name) throw new Error(`${dir}: optimizer state for ${s.key}, which the model does not have`);
        const size = s.shape.reduce((a, b) => a * b, 1);
        const m = tf.tensor(floats.subarray(s.offset, s.offset + size), s.shape);
        const v = s.has_v ? tf.tensor(floats.subarray(s.offset + size, s.offset + 2 * size), s.shape) : null;
        out.set(name, { m, v, step: s.step });
      }
      return out;
    },
    dispose: () => saved.dispose(),
  };
}

/**
 * Where checkpoints live in a run folder, in one place: `checkpoints/best` and `checkpoints/last`
 * (per fold in k-fold runs: `checkpoints/fold2/best`), and the resume point `checkpoints/resume`.
 * Each is a tfjs layers-model folder (`model.json` + `weights.bin`) plus `checkpoint.json`; the
 * resume point adds the optimizer state and the loop position (fastai's `save_model(with_opt)`).
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { RUN_FILES } from "@tessera/shared";
import { ExitError } from "../../errors";

export const MODEL_JSON = "model.json";
export const WEIGHTS_BIN = "weights.bin";
export const CHECKPOINT_JSON = "checkpoint.json";
/** The resume point's extra files: loop position, optimizer slot index, optimizer slot values. */
export const RESUME_FILES = {
  state: "train_state.json",
  optimizer: "optimizer.json",
  optimizerBin: "optimizer.bin",
} as const;

export type CheckpointKind = "best" | "last";

/** Folder of a checkpoint kind, per fold in k-fold runs (`checkpoints/fold2/best`). */
export function checkpointDir(runDir: string, kind: CheckpointKind, fold: number | null): string {
  return fold === null
    ? join(runDir, kind === "best" ? RUN_FILES.bestCheckpoint : RUN_FILES.lastCheckpoint)
    : join(runDir, RUN_FILES.checkpoints, `fold${fold}`, kind);
}

/** Folder of the run's resume point (one per run: a k-fold run resumes inside its current fold). */
export function resumeDir(runDir: string): string {
  return join(runDir, RUN_FILES.resume);
}

/** The best checkpoint of a run: `checkpoints/best`, or the last fold's for k-fold runs. */
export function bestCheckpointDir(runDir: string): string {
  const plain = checkpointDir(runDir, "best", null);
  if (existsSync(join(plain, MODEL_JSON))) return plain;
  const root = join(runDir, RUN_FILES.checkpoints);
  const folds = existsSync(root)
    ? readdirSync(root)
        .filter((d) => /^fold\d+$/.test(d) && existsSync(join(root, d, "best", MODEL_JSON)))
        .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)))
    : [];
  const last = folds.at(-1);
  if (!last)
    throw new ExitError(`${runDir}: no best checkpoint yet (${RUN_FILES.bestCheckpoint}/${MODEL_JSON} is missing)`);
  return checkpointDir(runDir, "best", Number(last.slice(4)));
}

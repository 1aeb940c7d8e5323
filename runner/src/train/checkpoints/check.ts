/**
 * Damaged checkpoint files (a truncated `weights.bin`, a `train_state.json` cut by a full disk or
 * edited by hand) are found before tfjs reads them, and the error names the file and what to do:
 * tfjs's own messages ("Unexpected end of JSON input", a RangeError in a typed array) reached the
 * user as "unexpected error (this is a bug)".
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ExitError } from "../../errors";

/** A checkpoint file that cannot be used; `file` is the damaged one. */
export class CheckpointDamagedError extends ExitError {
  constructor(
    readonly file: string,
    readonly problem: string,
    advice: string,
  ) {
    super(`${file}: damaged checkpoint file (${problem}); ${advice}`, 1);
    this.name = "CheckpointDamagedError";
  }
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

/** Parses a JSON file of a checkpoint, or throws CheckpointDamagedError naming it. */
export function readCheckpointJson<T>(file: string, advice: string): T {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new CheckpointDamagedError(file, `cannot read: ${(error as NodeJS.ErrnoException).code ?? error}`, advice);
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== "object") throw new Error("not a JSON object");
    return value as T;
  } catch (error) {
    const empty = text.length === 0 ? "empty file" : `not valid JSON: ${(error as Error).message}`;
    throw new CheckpointDamagedError(file, empty, advice);
  }
}

interface ManifestGroup {
  paths: string[];
  weights: { name: string; shape: number[]; dtype: string; quantization?: unknown }[];
}

/**
 * Checks a layers-model folder as tfjs will read it: `model.json` parses and lists its weights,
 * every shard exists, and the shards hold exactly the bytes the listed weights need.
 */
export function verifyModelFolder(dir: string, advice: string): void {
  const modelFile = join(dir, "model.json");
  const json = readCheckpointJson<{ modelTopology?: unknown; weightsManifest?: ManifestGroup[] }>(modelFile, advice);
  if (json.modelTopology == null || !Array.isArray(json.weightsManifest))
    throw new CheckpointDamagedError(modelFile, "no modelTopology or weightsManifest", advice);
  let expected = 0;
  let quantized = false;
  for (const group of json.weightsManifest) {
    for (const w of group.weights ?? []) {
      if (w.quantization) quantized = true;
      expected += (w.shape ?? []).reduce((a, b) => a * b, 1) * (DTYPE_BYTES[w.dtype] ?? 4);
    }
  }
  let actual = 0;
  for (const group of json.weightsManifest) {
    for (const shard of group.paths ?? []) {
      const file = join(dir, shard);
      if (!existsSync(file)) throw new CheckpointDamagedError(file, `missing (listed in ${modelFile})`, advice);
      actual += statSync(file).size;
    }
  }
  // A quantized manifest stores fewer bytes than its shapes say; only ours (never quantized) is checked exactly.
  if (!quantized && actual !== expected) {
    const shards = json.weightsManifest.flatMap((g) => g.paths ?? []);
    const file = shards.length === 1 ? join(dir, shards[0]!) : dir;
    throw new CheckpointDamagedError(
      file,
      `${actual < expected ? "truncated" : "too long"}: ${actual} bytes, the model needs ${expected}`,
      advice,
    );
  }
}

/** Why a folder is not a usable checkpoint, or null when it is (for choosing a fallback). */
export function checkpointDamage(check: () => void): CheckpointDamagedError | null {
  try {
    check();
    return null;
  } catch (error) {
    if (error instanceof CheckpointDamagedError) return error;
    throw error;
  }
}

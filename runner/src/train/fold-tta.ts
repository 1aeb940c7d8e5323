/**
 * A k-fold fold's TTA accuracy, kept beside its checkpoints (`checkpoints/fold<k>/tta.json`): the
 * events record each epoch's metrics but not TTA, so a run resumed in a later fold lost the earlier
 * folds' TTA and with it the TTA mean ± std.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { RUN_FILES } from "@tessera/shared";
import { writeJsonAtomic } from "../runs";

const file = (runDir: string, fold: number) => join(runDir, RUN_FILES.checkpoints, `fold${fold}`, "tta.json");

/** Records a fold's TTA accuracy (k-fold runs only; a holdout run has its TTA in the summary). */
export function writeFoldTta(runDir: string, fold: number | null, accuracy: number): void {
  if (fold === null) return;
  writeJsonAtomic(file(runDir, fold), { format: 1, fold, accuracy });
}

/** A fold's recorded TTA accuracy, or null (no TTA, an older run, an unreadable file). */
export function readFoldTta(runDir: string, fold: number): number | null {
  if (!existsSync(file(runDir, fold))) return null;
  try {
    const value = JSON.parse(readFileSync(file(runDir, fold), "utf8")) as { accuracy?: unknown };
    return typeof value.accuracy === "number" ? value.accuracy : null;
  } catch {
    return null;
  }
}

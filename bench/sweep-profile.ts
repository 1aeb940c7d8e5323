/**
 * Where a trial's wall time goes, read back from its run folder: bench/sweep.ts prints it for the
 * sweep's trials and for the sequential runs side by side. Phases (seconds):
 * - `start`: process start, backend and data loading (spawn to `run_started`);
 * - `model`: building ResNet50, loading its weights, cutting and fingerprinting the frozen prefix
 *   (`run_started` to `stage_started`; the prefix is hashed before the stage starts);
 * - `prefix`: frozen-prefix passes that filled activation rows (activation_cache.json `seconds`;
 *   rows are filled lazily, batch by batch, inside the epochs);
 * - `epochs`: the rest of the stage: head training and validation on cached rows;
 * - `end`: checkpoints, summary, report and process exit (`stage_finished` to exit).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface TrialProfile {
  start: number;
  model: number;
  prefix: number;
  epochs: number;
  end: number;
  total: number;
  filledRows: number;
  reusedRows: number;
}

/** The profile of one run folder whose process was spawned at `spawnedMs` and exited at `exitedMs` (epoch ms). */
export function profileRun(runDir: string, spawnedMs: number, exitedMs: number): TrialProfile {
  const events = readFileSync(join(runDir, "events.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; time: string });
  const at = (type: string, last = false) => {
    const found = last ? events.findLast((e) => e.type === type) : events.find((e) => e.type === type);
    if (!found) throw new Error(`${runDir}: no ${type} event`);
    return Date.parse(found.time);
  };
  const cache = JSON.parse(readFileSync(join(runDir, "activation_cache.json"), "utf8")) as {
    seconds: number;
    filled_rows: number;
    reused_rows: number;
  }[];
  const prefix = cache.reduce((s, r) => s + r.seconds, 0);
  const stage = (at("stage_finished", true) - at("stage_started")) / 1000;
  return {
    start: (at("run_started") - spawnedMs) / 1000,
    model: (at("stage_started") - at("run_started")) / 1000,
    prefix,
    epochs: stage - prefix,
    end: (exitedMs - at("stage_finished", true)) / 1000,
    total: (exitedMs - spawnedMs) / 1000,
    filledRows: cache.reduce((s, r) => s + r.filled_rows, 0),
    reusedRows: cache.reduce((s, r) => s + r.reused_rows, 0),
  };
}

/** One table row: the phases in seconds, and the rows this trial computed vs read. */
export function profileLine(label: string, p: TrialProfile): string {
  const s = (x: number) => x.toFixed(1).padStart(7);
  return `  ${label.padEnd(14)}${s(p.start)}${s(p.model)}${s(p.prefix)}${s(p.epochs)}${s(p.end)}${s(p.total)}   ${String(p.filledRows).padStart(6)} ${String(p.reusedRows).padStart(6)}`;
}

export const PROFILE_HEADER = `  ${"".padEnd(14)}${["start", "model", "prefix", "epochs", "end", "total"].map((h) => h.padStart(7)).join("")}   filled reused`;

/**
 * How a queued trial ended, read from its run folder in the central store (the truth, as for a
 * local trial): the BullMQ job's state only says that it ended, and its failure reason is the
 * fallback when the run folder holds no `run_failed` (a job refused before it trained).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { RUN_FILES, type RunMeta } from "@tessera/shared";
import { dropSuperseded, readEvents } from "../runs";
import type { TrialJob, TrialOutcome } from "./executor";

/** How long a completed job's folder may lag behind it (the worker flushes before it completes). */
const SETTLE_MS = 10_000;

function readMeta(dir: string): RunMeta | null {
  try {
    const file = join(dir, RUN_FILES.meta);
    return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as RunMeta) : null;
  } catch {
    return null; // mid-replace on the server: read again
  }
}

/**
 * The outcome of `job` once its BullMQ job ended: `failedReason` is null for a completed job.
 * `stopping` is true after this sweep's Ctrl-C (a cancelled job is then an interruption).
 */
export async function folderOutcome(
  job: TrialJob,
  failedReason: string | null,
  stopping: boolean,
  settleMs = SETTLE_MS,
): Promise<TrialOutcome> {
  const dir = join(job.runsDir, job.runId);
  let meta = readMeta(dir);
  for (let waited = 0; failedReason === null && !ended(meta) && waited < settleMs; waited += 250) {
    await new Promise((r) => setTimeout(r, 250));
    meta = readMeta(dir);
  }
  if (meta?.status === "finished") return { status: "finished", error: null };
  if (meta?.status === "stopped_early") return { status: "stopped_early", error: null };
  if (meta?.status === "interrupted" || (stopping && failedReason !== null))
    return { status: "interrupted", error: null };
  const failed = meta ? readEvents(dir, () => undefined).findLast((e) => e.type === "run_failed") : undefined;
  if (failed?.type === "run_failed") return { status: "failed", error: failed.error };
  if (failedReason !== null) return { status: "failed", error: failedReason };
  return {
    status: "failed",
    error: `its job completed but ${dir} says ${meta ? `status ${meta.status}` : "nothing (no meta.json)"}; is --runs-dir the central server's runs folder?`,
  };
}

function ended(meta: RunMeta | null): boolean {
  return meta !== null && meta.status !== "running";
}

/** Epochs a run folder has trained (superseded ones never count), 0 when it has none yet. */
export function epochsTrained(job: TrialJob): number {
  const dir = join(job.runsDir, job.runId);
  if (!existsSync(join(dir, RUN_FILES.events))) return 0;
  return dropSuperseded(readEvents(dir, () => undefined)).filter((e) => e.type === "epoch").length;
}

/**
 * A continued trial that came back `stopped_early` without training one more epoch did not continue
 * at all (a worker that took the job for a repeat of the last one): failing it stops the driver
 * from promoting it again and again.
 */
export function checkProgress(job: TrialJob, before: number, outcome: TrialOutcome): TrialOutcome {
  if (job.start.kind !== "resume" || outcome.status !== "stopped_early") return outcome;
  const after = epochsTrained(job);
  if (after > before) return outcome;
  return {
    status: "failed",
    error: `run ${job.runId} came back stopped at epoch ${after} without continuing to ${job.stopAtEpoch ?? "the end"} (does its worker resume a promoted trial?)`,
  };
}

/**
 * The local executor: each trial is `tessera run` in a child process of its own (../child/), so a
 * crash (or an out-of-memory abort in the wasm heap) fails that trial only. Ctrl-C reaches only the
 * sweep, which forwards exactly one SIGINT to each child; a child whose sweep dies stops at its
 * next batch with a resume point.
 */
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AUTO_BACKEND_ENV, AUTO_BACKEND_FILE_ENV, handedBackend } from "../backend";
import { ExitError } from "../errors";
import type { TrialExecutor, TrialJob, TrialOutcome } from "./executor";
import { SHARE_ENV } from "../train/activation-cache/share";
import { runOutcome, spawnRun, waitForChildPid } from "../child/run-child";

export interface LocalExecutorOptions {
  /** Trials at once. */
  parallel: number;
  /** wasm threads per trial (the sweep splits the cores: parallel × threads <= cores). */
  threads: number;
  /** Extra `tessera run` flags (e.g. `--backend wasm`). */
  extraArgs?: string[];
  /**
   * Where the first trial that resolves `backend: auto` writes what it found; later trials are
   * handed it and skip the probe (backend/index.ts, AUTO_BACKEND_ENV).
   */
  backendFile?: string;
}

export function localExecutor(opts: LocalExecutorOptions): TrialExecutor {
  const children = new Set<ChildProcess>();
  let stopping = false;
  return {
    slots: opts.parallel,
    run: (job) => runChild(job, opts, children, () => stopping),
    stopAll() {
      stopping = true;
      for (const child of children) child.kill("SIGINT");
    },
    killAll() {
      stopping = true;
      for (const child of children) child.kill("SIGKILL");
    },
    async waitForOrphan(job) {
      const { pid, gone } = await waitForChildPid(job.logFile);
      if (!gone)
        throw new ExitError(
          `tessera sweep --resume: trial ${job.trial}'s process ${pid} is still running after 5 minutes; stop it first`,
        );
    },
  };
}

/** The `tessera run` arguments of a job. */
export function runArgs(job: TrialJob, threads: number): string[] {
  const start =
    job.start.kind === "new"
      ? [job.start.configFile, ...job.start.sets.flatMap((s) => ["--set", s]), "--run-id", job.runId]
      : ["--resume", job.runId];
  return [
    "run",
    ...start,
    "--runs-dir",
    job.runsDir,
    "--threads",
    String(threads),
    "--sweep",
    job.sweepId,
    "--trial",
    String(job.trial),
    ...(job.stopAtEpoch === null ? [] : ["--stop-at-epoch", String(job.stopAtEpoch)]),
  ];
}

async function runChild(
  job: TrialJob,
  opts: LocalExecutorOptions,
  children: Set<ChildProcess>,
  stopping: () => boolean,
): Promise<TrialOutcome> {
  const { child, exited } = spawnRun({
    args: [...runArgs(job, opts.threads), ...(opts.extraArgs ?? [])],
    logFile: job.logFile,
    env: {
      TESSERA_THREADS: String(opts.threads),
      [SHARE_ENV]: job.shareDir,
      ...(opts.backendFile ? backendHandOff(opts.backendFile) : {}),
    },
  });
  children.add(child);
  const { code, signal, error } = await exited;
  children.delete(child);
  return outcomeOf(job, code, signal, stopping(), error);
}

/** Reads how the trial ended from its run folder; the exit code only breaks ties. */
export function outcomeOf(
  job: TrialJob,
  code: number | null,
  signal: NodeJS.Signals | null,
  stopping: boolean,
  spawnError?: Error,
): TrialOutcome {
  return runOutcome({ runDir: join(job.runsDir, job.runId), logFile: job.logFile }, code, signal, stopping, spawnError);
}

/** The env that hands a child the backend an earlier trial resolved, or asks it to record one. */
export function backendHandOff(file: string): Record<string, string> {
  let found: string | null = null;
  try {
    found = handedBackend(readFileSync(file, "utf8"));
  } catch {
    /* no trial has resolved `auto` yet */
  }
  return found ? { [AUTO_BACKEND_ENV]: found } : { [AUTO_BACKEND_FILE_ENV]: file };
}

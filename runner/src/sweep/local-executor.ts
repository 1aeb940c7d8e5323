/**
 * The local executor: each trial is `tessera run` in a child process of its own, so a crash (or an
 * out-of-memory abort in the wasm heap) fails that trial only. Children get their own process
 * group, so a terminal's Ctrl-C reaches only the sweep, which forwards exactly one SIGINT to each
 * (two would make a child quit without its resume point). Each child keeps an IPC channel to the
 * sweep and stops at its next batch when it closes — that is what happens when the sweep is killed.
 * A child writes nothing until the sweep has recorded its pid (handshake.ts), so a resumed sweep
 * can always find, and wait for, every child its dead predecessor left.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RUN_FILES, type RunMeta } from "@tessera/shared";
import { ExitError } from "../errors";
import { processAlive, readEvents } from "../runs";
import type { TrialExecutor, TrialJob, TrialOutcome } from "./executor";
import { SHARE_ENV } from "../train/activation-cache/share";
import { handshakeEnv, readChildPid, recordChild } from "./handshake";

/** The installed bin: registers tsx itself, so a child needs no loader flags. */
const BIN = fileURLToPath(new URL("../../bin/tessera.js", import.meta.url));

export interface LocalExecutorOptions {
  /** Trials at once. */
  parallel: number;
  /** wasm threads per trial (the sweep splits the cores: parallel × threads <= cores). */
  threads: number;
  /** Extra `tessera run` flags (e.g. `--backend wasm`). */
  extraArgs?: string[];
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
      const pid = readChildPid(pidFile(job));
      for (let i = 0; pid !== null && processAlive(pid) && i < 3000; i++) await new Promise((r) => setTimeout(r, 100));
      if (pid !== null && processAlive(pid))
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

function runChild(
  job: TrialJob,
  opts: LocalExecutorOptions,
  children: Set<ChildProcess>,
  stopping: () => boolean,
): Promise<TrialOutcome> {
  const log = openSync(job.logFile, "a");
  const handshake = handshakeEnv(pidFile(job));
  const child = spawn(process.execPath, [BIN, ...runArgs(job, opts.threads), ...(opts.extraArgs ?? [])], {
    stdio: ["ignore", "ignore", log, "ipc"],
    detached: true,
    env: {
      ...process.env,
      ...handshake.env,
      TESSERA_THREADS: String(opts.threads),
      TESSERA_SWEEP_IPC: "1",
      [SHARE_ENV]: job.shareDir,
    },
  });
  children.add(child);
  // The pid beside the log, so a resumed sweep can wait for a child its dead predecessor left; the
  // child starts its run only once it reads this record.
  if (child.pid !== undefined) recordChild(pidFile(job), child.pid, handshake.token);
  return new Promise<TrialOutcome>((done) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
      children.delete(child);
      closeSync(log);
      done(outcomeOf(job, code, signal, stopping(), error));
    };
    child.once("error", (error) => finish(null, null, error));
    child.once("exit", (code, signal) => finish(code, signal));
  });
}

/** Reads how the run ended from its folder; the exit code only breaks ties. */
export function outcomeOf(
  job: TrialJob,
  code: number | null,
  signal: NodeJS.Signals | null,
  stopping: boolean,
  spawnError?: Error,
): TrialOutcome {
  if (spawnError) return { status: "failed", error: `could not start tessera run: ${spawnError.message}` };
  const dir = join(job.runsDir, job.runId);
  const metaFile = join(dir, RUN_FILES.meta);
  const meta = existsSync(metaFile) ? (JSON.parse(readFileSync(metaFile, "utf8")) as RunMeta) : null;
  // The folder decides: a run that finished just before a Ctrl-C reached its process (which then
  // died of the signal, its handler already gone) is finished, whatever the exit code says.
  if (meta?.status === "finished") return { status: "finished", error: null };
  if (meta?.status === "stopped_early") return { status: "stopped_early", error: null };
  if (meta?.status === "interrupted" || code === 130 || (stopping && signal !== null))
    return { status: "interrupted", error: null };
  const failed = meta ? readEvents(dir, () => undefined).findLast((e) => e.type === "run_failed") : undefined;
  const error =
    failed?.type === "run_failed"
      ? failed.error
      : `tessera run exited with ${signal ?? `code ${code}`}: ${lastLines(job.logFile)}`;
  return { status: "failed", error };
}

/** Where a job's child pid is recorded: beside its log. */
function pidFile(job: TrialJob): string {
  return `${job.logFile}.pid`;
}

function lastLines(file: string): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-3).join(" | ");
  } catch {
    return "(no log)";
  }
}

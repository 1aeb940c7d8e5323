/**
 * One job on a worker, from BullMQ's `job` to a finished run: re-validate the job (hostile input),
 * honour `requires`, put the config's data under this worker's `--data-root`, claim the run on the
 * server (and take over its folder when another worker started it), then run `tessera run` as a
 * child process and say how it ended. Failures that retrying cannot fix (invalid job, config or
 * data; out of memory) throw BullMQ's UnrecoverableError so the job fails once, not N times.
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DelayedError, UnrecoverableError, type Job } from "bullmq";
import { RUN_FILES, type BackendName, type RunMeta } from "@tessera/shared";
import { checkRunJob, type RunJob } from "@tessera/shared/cluster";
import { FAILURE_FILE_ENV, finalFailure, type ChildFailure } from "../child/failure";
import { runOutcome, spawnRun, type ChildOutcome } from "../child/run-child";
import { dropSuperseded, readEvents } from "../runs";
import { workerConfig } from "./job-config";
import type { RunSync, RunSyncFactory } from "./sync";

/** What every job on one worker shares. */
export interface JobContext {
  name: string;
  dataRoot: string;
  /** `--data-root` was given: a job's data.path must stay below it (a job is hostile input). */
  confineData: boolean;
  runsDir: string;
  stateDir: string;
  /** `--backend`: passed to every run, and what `requires.backend` is matched against. */
  backend: BackendName | null;
  /** wasm threads per run. */
  threads: number;
  sync: RunSyncFactory;
  /** True when the job has been asked to stop (cancelled from `tessera queue cancel` or the dashboard). */
  cancelled(jobId: string): Promise<boolean>;
  /** Forgets the cancel flag once it has been acted on. */
  clearCancel(jobId: string): Promise<void>;
  /** Running children, so closing the worker can stop them. */
  children: Set<ChildProcess>;
  stopping(): boolean;
  log(line: string): void;
  /** How long a job this worker cannot take waits before another worker may look at it. */
  requeueDelayMs: number;
}

/** What a completed job returns (stored by BullMQ as the job's return value). */
export interface JobResult {
  runId: string;
  status: "finished" | "stopped_early";
  worker: string;
}

/** BullMQ's processor for one run job. */
export async function processRunJob(job: Job, token: string | undefined, ctx: JobContext): Promise<JobResult> {
  const checked = checkRunJob(job.data);
  if (!checked.ok) throw new UnrecoverableError(`invalid job ${job.id}: ${checked.problems.join("; ")}`);
  const data = checked.job;
  const wanted = data.requires?.backend;
  if (wanted && wanted !== ctx.backend) {
    // Not ours: put it back for a worker that has the backend (BullMQ's documented way to requeue).
    ctx.log(`job ${job.id}: requires backend ${wanted}, this worker has ${ctx.backend ?? "auto"}; leaving it`);
    await job.moveToDelayed(Date.now() + ctx.requeueDelayMs, token);
    throw new DelayedError();
  }
  const config = await workerConfig(data, {
    dataRoot: ctx.dataRoot,
    dir: join(ctx.stateDir, "jobs"),
    confine: ctx.confineData,
  });
  if (!config.ok)
    throw new UnrecoverableError(`job ${job.id}: the config does not validate here:\n${config.problems.join("\n")}`);

  const runDir = join(ctx.runsDir, data.runId);
  mkdirSync(ctx.runsDir, { recursive: true });
  const sync = ctx.sync?.(data, { name: ctx.name, stateDir: ctx.stateDir, log: ctx.log }) ?? null;
  const attempt = (job.attemptsStarted ?? 0) || job.attemptsMade + 1;
  let resume = false;
  if (sync) resume = (await sync.claim({ jobId: String(job.id), attempt, runDir })).resume;
  resume ||= existsSync(join(runDir, RUN_FILES.meta));
  if (existsSync(runDir) && !hasStarted(runDir)) {
    // Killed before run_started (or a folder with no run in it): nothing to resume, and
    // `--run-id` needs the folder free. Kept aside rather than deleted: nothing is lost.
    renameSync(runDir, `${runDir}.abandoned-${Date.now()}`);
    resume = false;
  }
  const status = resume ? readStatus(runDir) : null;
  if (status === "finished" || (status === "stopped_early" && !promoted(runDir, data))) {
    // A worker died between the run's end and the job's: finish the job, do not train again.
    if (sync) await sync.start(runDir, { jobId: String(job.id), attempt, onRefused: () => undefined }).finish();
    return { runId: data.runId, status, worker: ctx.name };
  }

  ctx.log(`job ${job.id}: ${resume ? "resuming" : "starting"} run ${data.runId} (attempt ${attempt})`);
  const outcome = await runChild(job, data, config, { resume, runDir, sync, attempt }, ctx);
  if (outcome.status === "finished" || outcome.status === "stopped_early")
    return { runId: data.runId, status: outcome.status, worker: ctx.name };
  if (outcome.status === "interrupted") {
    if (outcome.cancelled) throw new UnrecoverableError(`cancelled (run ${data.runId} stopped with a resume point)`);
    throw new Error(`worker ${ctx.name} stopped; run ${data.runId} keeps a resume point for the next attempt`);
  }
  const why = finalFailure(outcome.failure, outcome.error ?? "");
  if (why) throw new UnrecoverableError(`${why}: ${outcome.error ?? outcome.failure?.message ?? "failed"}`);
  throw new Error(outcome.error ?? "tessera run failed");
}

async function runChild(
  job: Job,
  data: RunJob,
  config: { file: string; sets: string[] },
  run: { resume: boolean; runDir: string; sync: RunSync | null; attempt: number },
  ctx: JobContext,
): Promise<ChildOutcome & { cancelled: boolean; failure: ChildFailure | null }> {
  const logs = join(ctx.stateDir, "logs");
  mkdirSync(logs, { recursive: true });
  const logFile = join(logs, `${data.runId}.log`);
  const failureFile = join(logs, `${data.runId}.failure.json`);
  rmSync(failureFile, { force: true });
  // `--set=value` in one argument, so a value starting with `-` is never read as a flag; no shell.
  const start = run.resume
    ? ["--resume", data.runId]
    : [config.file, ...config.sets.map((s) => `--set=${s}`), "--run-id", data.runId];
  const args = [
    "run",
    ...start,
    "--runs-dir",
    ctx.runsDir,
    "--threads",
    String(ctx.threads),
    ...(ctx.backend ? ["--backend", ctx.backend] : []),
    ...(data.sweep ? ["--sweep", data.sweep.id, "--trial", String(data.sweep.trial)] : []),
    ...(data.sweep?.stopAtEpoch ? ["--stop-at-epoch", String(data.sweep.stopAtEpoch)] : []),
  ];
  // The run trains in a child process, so this process's event loop stays free for BullMQ's lock
  // renewal and stalled checks (a training step holds the loop for seconds), and a crash or OOM in
  // training fails the job, not the worker.
  const { child, exited } = spawnRun({
    args,
    logFile,
    env: { TESSERA_THREADS: String(ctx.threads), [FAILURE_FILE_ENV]: failureFile },
  });
  ctx.children.add(child);
  let cancelled = false;
  let refused: string | null = null;
  const push =
    run.sync?.start(run.runDir, {
      jobId: String(job.id),
      attempt: run.attempt,
      // The server gave the run to another worker (this one lost its lock) or revoked our token:
      // stop training a run nobody will keep.
      onRefused: (message) => {
        refused = message;
        ctx.log(`job ${job.id}: the server refused run ${data.runId} (${message}); stopping it`);
        child.kill("SIGINT");
      },
    }) ?? null;
  const poll = setInterval(() => {
    void ctx.cancelled(String(job.id)).then(
      (yes) => {
        if (!yes || cancelled) return;
        cancelled = true;
        ctx.log(`job ${job.id}: cancelled; stopping run ${data.runId} after this batch`);
        child.kill("SIGINT");
      },
      () => undefined,
    );
  }, 1000);
  const { code, signal, error } = await exited.finally(() => clearInterval(poll));
  ctx.children.delete(child);
  if (cancelled) await ctx.clearCancel(String(job.id)).catch(() => undefined);
  const outcome = runOutcome(
    { runDir: run.runDir, logFile },
    code,
    signal,
    ctx.stopping() || cancelled || refused !== null,
    error,
  );
  if (refused !== null) throw new Error(`the server refused run ${data.runId}: ${refused}`);
  if (push) await push.finish();
  return { ...outcome, cancelled, failure: readFailure(failureFile) };
}

/**
 * True when a sweep's job asks a run that stopped at an ASHA rung to go further (a promotion: the
 * same run id, a later `stopAtEpoch` or none): it must be resumed, not reported stopped again.
 */
function promoted(runDir: string, data: RunJob): boolean {
  if (!data.sweep) return false; // early stopping of a plain run is final
  const trained = dropSuperseded(readEvents(runDir, () => undefined)).filter((e) => e.type === "epoch").length;
  return data.sweep.stopAtEpoch === null || data.sweep.stopAtEpoch > trained;
}

function hasStarted(runDir: string): boolean {
  try {
    return readEvents(runDir, () => undefined).some((e) => e.type === "run_started");
  } catch {
    return false;
  }
}

function readStatus(runDir: string): RunMeta["status"] | null {
  try {
    return (JSON.parse(readFileSync(join(runDir, RUN_FILES.meta), "utf8")) as RunMeta).status;
  } catch {
    return null;
  }
}

function readFailure(file: string): ChildFailure | null {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as ChildFailure;
  } catch {
    return null;
  }
}

/**
 * Enqueueing a run: the config is validated with the runner's own pipeline first (nothing is
 * enqueued for a config with problems), the run id is chosen here so every attempt on every worker
 * writes the same run, and the job is checked against its schema on the way in as on the way out.
 */
import { RUN_JOB_FORMAT, checkRunJob, type RunJob } from "@tessera/shared/cluster";
import { makeRunId } from "../runs";
import { gitCommit } from "../runs/environment";
import { prepareJobConfig } from "./job-config";
import { bullPriority, type RunQueue } from "./queue";

/** What to enqueue. */
export interface EnqueueOptions {
  configFile: string;
  sets?: readonly string[];
  /** Higher runs sooner (-1000..1000). @default 0 */
  priority?: number;
  /** Only a worker started with this `--backend` takes the job. */
  requiresBackend?: string;
  /** A sweep's trial: the run is tagged with it (the sweep driver chooses the run id). */
  sweep?: { id: string; trial: number; stopAtEpoch: number | null };
  /** @default a fresh id from the config's name */
  runId?: string;
  /** The BullMQ job id. @default the run id (so one run is enqueued once) */
  jobId?: string;
  /** What a relative `data.path` in the job is relative to. @default the working directory */
  dataRoot?: string;
}

/** How many times a job that failed for a retryable reason is tried; stalls (a dead worker) are apart. */
export const JOB_ATTEMPTS = 3;

export type EnqueueResult =
  { ok: true; jobId: string; runId: string; job: RunJob; warnings: string[] } | { ok: false; problems: string[] };

/** Validates `opts.configFile` (+ sets) and enqueues one run; problems are returned, not thrown. */
export async function enqueueRun(q: RunQueue, opts: EnqueueOptions): Promise<EnqueueResult> {
  const prepared = await prepareJobConfig({
    configFile: opts.configFile,
    sets: opts.sets ?? [],
    ...(opts.dataRoot ? { dataRoot: opts.dataRoot } : {}),
    trial: opts.sweep !== undefined,
  });
  if (!prepared.ok) return prepared;
  const { config, configHash } = prepared.loaded;
  const data: RunJob = {
    format: RUN_JOB_FORMAT,
    runId: opts.runId ?? makeRunId(config.name),
    name: config.name,
    configFile: opts.configFile,
    configText: prepared.configText,
    sets: prepared.sets,
    configHash,
    gitCommit: gitCommit(),
    priority: opts.priority ?? 0,
    ...(opts.requiresBackend ? { requires: { backend: opts.requiresBackend } } : {}),
    ...(opts.sweep ? { sweep: opts.sweep } : {}),
    submittedAt: new Date().toISOString(),
  };
  return addJob(q, data, opts.jobId, prepared.warnings);
}

/** Checks `data` against the job schema and adds it; shared by submit and re-run. */
export async function addJob(
  q: RunQueue,
  data: RunJob,
  jobId?: string,
  warnings: string[] = [],
): Promise<EnqueueResult> {
  const checked = checkRunJob(data);
  if (!checked.ok) return { ok: false, problems: checked.problems.map((p) => `job ${p}`) };
  const id = jobId ?? data.runId;
  const existing = await q.queue.getJob(id);
  if (existing) return { ok: false, problems: [`job ${id} is already in the queue`] };
  const job = await q.queue.add(data.name, data, {
    jobId: id,
    priority: bullPriority(data.priority),
    attempts: JOB_ATTEMPTS,
    backoff: { type: "exponential", delay: 5000 },
    // Finished and failed jobs stay, so `queue ls` and the Queue page can show how a run ended.
    removeOnComplete: false,
    removeOnFail: false,
  });
  return { ok: true, jobId: job.id ?? id, runId: data.runId, job: data, warnings };
}

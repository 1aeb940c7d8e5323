/**
 * The queue executor: `tessera sweep <file> --queue URL`. Each trial segment (a new trial, an ASHA
 * promotion, a recovered trial) becomes one BullMQ job that some `tessera worker` runs; `run()`
 * resolves when the job ends, and — as with the local executor — how it ended is read from the run
 * folder, here the central store the workers push into (so the sweep must run where the server's
 * runs folder is: `--runs-dir`). Only `parallel` jobs are in the queue at once, not every trial up
 * front, so ASHA promotes from rungs as they fill.
 *
 * A job's end is learnt from BullMQ's QueueEvents (a Redis stream: a reconnect after a Redis
 * restart resumes it without losing events) and, because an event can still be missed (a trimmed
 * stream, a job that ended before we listened), from polling the job's state every few seconds.
 */
import { appendFileSync } from "node:fs";
import { QueueEvents, type Job, type JobType } from "bullmq";
import type { RunJob } from "@tessera/shared/cluster";
import { openQueue, QUEUE_NAME, type RunQueue } from "../queue/queue";
import { addJob, enqueueRun } from "../queue/submit";
import { cancelJob } from "../queue/manage";
import type { TrialExecutor, TrialJob, TrialOutcome } from "./executor";
import { checkProgress, epochsTrained, folderOutcome } from "./queue-outcome";

export interface QueueExecutorOptions {
  /** `redis://` or `rediss://` URL of the queue. */
  url: string;
  /** Jobs in the queue at once (the sweep's `parallel:`). */
  parallel: number;
  /** Tessera priority of every trial job (higher runs sooner). @default 0 */
  priority?: number;
  /** Only workers with this `--backend` take the trials. */
  requiresBackend?: string;
  /** What a relative `data.path` in the jobs is relative to. @default the working directory */
  dataRoot?: string;
  /** How often a waited-on job's state is checked besides the events. @default 5000 */
  pollMs?: number;
}

/** A queue executor holds Redis connections: `close()` it after the sweep. */
export interface QueueExecutor extends TrialExecutor {
  close(): Promise<void>;
}

/** States of a job that has not ended. */
const LIVE: JobType[] = ["active", "waiting", "prioritized", "delayed", "waiting-children"];

interface Waiter {
  job: TrialJob;
  jobId: string;
  done: (outcome: TrialOutcome) => void;
}

/** Opens the queue (failing with the flag and masked URL when Redis is not there) and its events. */
export async function queueExecutor(opts: QueueExecutorOptions): Promise<QueueExecutor> {
  const q = await openQueue(opts.url, { flag: "--queue" });
  // QueueEvents blocks on a Redis stream read, so it gets a connection of its own.
  const events = new QueueEvents(QUEUE_NAME, { connection: q.redis.duplicate() });
  events.on("error", () => undefined); // reconnects by itself; the poll covers the gap
  await events.waitUntilReady();
  const waiters = new Map<string, Waiter>();
  let stopping = false;

  const settle = async (jobId: string) => {
    const w = waiters.get(jobId);
    if (!w) return;
    const outcome = await outcomeOf(q, w, stopping);
    if (outcome && waiters.get(jobId) === w) {
      waiters.delete(jobId);
      log(w.job, `job ${jobId}: ${outcome.status}${outcome.error ? ` (${outcome.error})` : ""}`);
      w.done(outcome);
    }
  };
  // Any of these may be the end of a job we wait on; the state decides (a failed attempt that
  // BullMQ will retry is not the end).
  for (const name of ["completed", "failed", "removed"] as const)
    events.on(name, ({ jobId }: { jobId: string }) => void settle(jobId).catch(() => undefined));
  const poll = setInterval(() => {
    for (const id of waiters.keys()) void settle(id).catch(() => undefined);
  }, opts.pollMs ?? 5000);
  poll.unref();

  return {
    slots: opts.parallel,
    async run(job) {
      const before = epochsTrained(job);
      let jobId: string;
      try {
        const live = await liveJobOf(q, job.runId);
        if (live) {
          // A job for this run is still queued or running (a sweep resumed after its driver died):
          // wait for that one instead of enqueuing a second writer of the same run.
          jobId = live.id!;
          log(job, `job ${jobId}: still in the queue, waiting for it`);
        } else {
          const added = await enqueue(q, job, opts);
          if (!added.ok) return { status: "failed", error: added.problems.join("; ") };
          jobId = added.jobId;
          log(
            job,
            `job ${jobId}: enqueued (run ${job.runId}${job.stopAtEpoch ? `, to epoch ${job.stopAtEpoch}` : ""})`,
          );
        }
      } catch (error) {
        return { status: "failed", error: `could not enqueue trial ${job.trial}: ${(error as Error).message}` };
      }
      const outcome = new Promise<TrialOutcome>((done) => waiters.set(jobId, { job, jobId, done }));
      await settle(jobId); // it may have ended before we listened
      return checkProgress(job, before, await outcome);
    },
    /**
     * Ctrl-C: cancels every job this sweep waits on. A job still waiting is removed from the queue
     * (its trial ends `interrupted`, never started or resumable); a running one is flagged, and its
     * worker stops it at the next batch boundary with a resume point, as a local child does on SIGINT.
     * `run()` resolves when each job has really ended.
     */
    stopAll() {
      stopping = true;
      for (const w of waiters.values()) void cancelJob(q, w.jobId).catch(() => undefined);
    },
    /**
     * A second Ctrl-C: stops waiting. Every pending `run()` resolves `interrupted` now; jobs already
     * asked to stop still stop on their workers, which this process cannot reach any faster.
     */
    killAll() {
      stopping = true;
      for (const [id, w] of waiters) {
        waiters.delete(id);
        w.done({ status: "interrupted", error: null });
      }
    },
    /**
     * Nothing to wait for: on a resumed sweep `run()` finds a job its dead predecessor left in the
     * queue (waiting or running, by run id) and waits on that one rather than enqueuing another, so
     * two workers never write one run. Waiting here instead could wait forever on a job that no
     * worker has taken yet.
     */
    async waitForOrphan() {},
    async close() {
      clearInterval(poll);
      await events.close();
      await q.close();
    },
  };
}

/** The job of a trial segment, with the sweep's tags; a continued trial copies its first job's config. */
async function enqueue(
  q: RunQueue,
  job: TrialJob,
  opts: QueueExecutorOptions,
): Promise<{ ok: true; jobId: string } | { ok: false; problems: string[] }> {
  const sweep = { id: job.sweepId, trial: job.trial, stopAtEpoch: job.stopAtEpoch };
  if (job.start.kind === "new") {
    return enqueueRun(q, {
      configFile: job.start.configFile,
      sets: job.start.sets,
      runId: job.runId,
      // The run id, unless an ended job of a run that never started already has it (a recovered sweep).
      jobId: await freeJobId(q, job.runId),
      sweep,
      ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
      ...(opts.requiresBackend ? { requiresBackend: opts.requiresBackend } : {}),
      ...(opts.dataRoot ? { dataRoot: opts.dataRoot } : {}),
    });
  }
  // A continued trial (an ASHA promotion, or after an interruption): the same run id, so the worker
  // finds the run on the server and resumes it from its checkpoint; the same config and sets.
  const first = await firstJobOf(q, job.runId);
  if (!first) return { ok: false, problems: [`no earlier job of run ${job.runId} in the queue to continue it from`] };
  const data: RunJob = { ...first.data, sweep, submittedAt: new Date().toISOString() };
  return addJob(q, data, await freeJobId(q, `${job.runId}-to${job.stopAtEpoch ?? "end"}`));
}

/** `base`, or `base-2`, `base-3`... : the first id no job in the queue has (ended jobs are kept). */
async function freeJobId(q: RunQueue, base: string): Promise<string> {
  for (let n = 1; ; n++) {
    const id = n === 1 ? base : `${base}-${n}`;
    if (!(await q.queue.getJob(id))) return id;
  }
}

/** The jobs in `states` whose data names `runId`. */
async function jobsOf(q: RunQueue, runId: string, states: JobType[]): Promise<Job<RunJob>[]> {
  const jobs = (await q.queue.getJobs(states, 0, -1)) as (Job<RunJob> | undefined)[];
  return jobs.filter((j): j is Job<RunJob> => j !== undefined && j.data?.runId === runId);
}

/**
 * A job of `runId` that has not ended, or null. Only the live states are listed: ended jobs are kept
 * (the Queue page shows them) and would make every trial read the queue's whole history.
 */
async function liveJobOf(q: RunQueue, runId: string): Promise<Job<RunJob> | null> {
  for (const job of await jobsOf(q, runId, LIVE)) if (LIVE.includes((await job.getState()) as JobType)) return job;
  return null;
}

/** The first job of `runId`: its id is the run id (see enqueue), else the oldest that names it. */
async function firstJobOf(q: RunQueue, runId: string): Promise<Job<RunJob> | null> {
  const byId = (await q.queue.getJob(runId)) as Job<RunJob> | undefined;
  if (byId?.data?.runId === runId) return byId;
  const all = await jobsOf(q, runId, [...LIVE, "completed", "failed"]);
  return all.sort((x, y) => x.timestamp - y.timestamp)[0] ?? null;
}

/** How the waited-on job ended, or null while it has not. */
async function outcomeOf(q: RunQueue, w: Waiter, stopping: boolean): Promise<TrialOutcome | null> {
  const job = (await q.queue.getJob(w.jobId)) as Job<RunJob> | undefined;
  if (!job) {
    // Removed: by our own Ctrl-C, or by someone's `tessera queue cancel` / the Queue page.
    return stopping
      ? { status: "interrupted", error: null }
      : { status: "failed", error: `job ${w.jobId} was removed from the queue before it ran` };
  }
  const state = await job.getState();
  if (state !== "completed" && state !== "failed") return null;
  return folderOutcome(w.job, state === "failed" ? job.failedReason || "failed" : null, stopping);
}

function log(job: TrialJob, line: string): void {
  try {
    appendFileSync(job.logFile, `${new Date().toISOString()} ${line}\n`);
  } catch {
    // the log is for people; a sweep does not stop over it
  }
}

/**
 * `tessera queue ls|cancel|retry` and the dashboard's Queue page: what is queued, and the two things
 * a person does to a job. A waiting job is removed; a running one cannot be (its worker holds the
 * lock), so cancelling it sets a flag beside the queue's keys that its worker polls, stopping the
 * run at its next batch (with a resume point) and failing the job as cancelled.
 */
import type { Job } from "bullmq";
import type { QueueJob } from "@tessera/dashboard/serve";
import type { RunJob } from "@tessera/shared/cluster";
import { cancelKey, type RunQueue } from "./queue";

const STATES = ["active", "waiting", "prioritized", "delayed", "failed", "completed"] as const;

/** Jobs by state (running first), newest first within a state; at most `limit` per state. */
export async function listJobs(q: RunQueue, opts: { limit?: number } = {}): Promise<QueueJob[]> {
  const limit = opts.limit ?? 200;
  const out: QueueJob[] = [];
  for (const state of STATES) {
    const jobs = (await q.queue.getJobs([state], 0, limit - 1, false)) as Job<RunJob>[];
    for (const job of jobs) if (job) out.push(describeJob(job, state));
  }
  return out;
}

/** One job as the lists show it; tolerant of jobs whose data is not a valid RunJob. */
export function describeJob(job: Job<RunJob>, state: QueueJob["state"]): QueueJob {
  const data = (job.data ?? {}) as Partial<RunJob>;
  return {
    jobId: job.id ?? "?",
    runId: typeof data.runId === "string" ? data.runId : "?",
    name: typeof data.name === "string" ? data.name : job.name,
    state,
    priority: typeof data.priority === "number" ? data.priority : 0,
    attempts: job.attemptsStarted ?? job.attemptsMade,
    worker: job.processedBy ?? null,
    sweep: data.sweep ? { id: data.sweep.id, trial: data.sweep.trial } : null,
    enqueuedAt: new Date(job.timestamp).toISOString(),
    error: job.failedReason || null,
  };
}

/** Cancels a job: removed if it has not started, asked to stop if it is running. */
export async function cancelJob(q: RunQueue, jobId: string): Promise<{ ok: boolean; message: string }> {
  const job = await q.queue.getJob(jobId);
  if (!job) return { ok: false, message: `no job ${jobId} in the queue` };
  const state = await job.getState();
  if (state === "completed" || state === "failed")
    return { ok: false, message: `job ${jobId} has already ${state === "failed" ? "failed" : "finished"}` };
  if (state === "active") {
    // Kept a day: long enough for any worker to see it, not forever if the job is gone.
    await q.redis.set(cancelKey(q.queue, jobId), "1", "EX", 86_400);
    return { ok: true, message: `job ${jobId} is running; its worker stops it after the current batch` };
  }
  try {
    await job.remove();
  } catch (error) {
    return { ok: false, message: `job ${jobId} could not be removed (${(error as Error).message}); try again` };
  }
  return { ok: true, message: `job ${jobId} removed from the queue` };
}

/** Retries a failed job (same run id: the worker resumes the run from its last checkpoint). */
export async function retryJob(q: RunQueue, jobId: string): Promise<{ ok: boolean; message: string }> {
  const job = await q.queue.getJob(jobId);
  if (!job) return { ok: false, message: `no job ${jobId} in the queue` };
  const state = await job.getState();
  if (state !== "failed") return { ok: false, message: `job ${jobId} is ${state}; only a failed job can be retried` };
  await q.redis.del(cancelKey(q.queue, jobId));
  await job.retry("failed", { resetAttemptsMade: true });
  return { ok: true, message: `job ${jobId} is queued again` };
}

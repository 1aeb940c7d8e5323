/** `tessera queue ls|cancel <job>|retry <job> --queue URL`: see and manage queued runs. */
import { ExitError } from "../../errors";
import { cancelJob, listJobs, retryJob } from "../../queue/manage";
import { openQueue, type RunQueue } from "../../queue/queue";
import { printJson, say, table } from "../../runs/cli-text";

export interface QueueOptions {
  queue: string;
  json?: boolean;
}

/** `job <id> (run <id>) on <queue>`, the line submit prints. */
export function formatJobLine(jobId: string, runId: string, queue: string): string {
  return jobId === runId ? `job ${jobId} on ${queue}` : `job ${jobId} (run ${runId}) on ${queue}`;
}

async function withQueue<T>(url: string, fn: (q: RunQueue) => Promise<T>): Promise<T> {
  const q = await openQueue(url);
  try {
    return await fn(q);
  } finally {
    await q.close();
  }
}

/** Lists jobs, running first; `--json` prints `{ jobs: [...] }` on stdout. */
export async function queueLsCommand(opts: QueueOptions): Promise<void> {
  const jobs = await withQueue(opts.queue, (q) => listJobs(q));
  if (opts.json) return printJson({ jobs });
  if (jobs.length === 0) return say("the queue is empty");
  say(
    table(
      ["job", "state", "priority", "attempts", "worker", "enqueued", "error"],
      jobs.map((j) => [
        j.jobId === j.runId ? j.jobId : `${j.jobId} (${j.runId})`,
        j.state,
        j.priority,
        j.attempts,
        j.worker ?? "",
        j.enqueuedAt.slice(0, 19).replace("T", " "),
        (j.error ?? "").split("\n")[0]?.slice(0, 80) ?? "",
      ]),
    ),
  );
}

/** Cancels a job (removed if waiting; stopped after its batch if running); exit 1 if it cannot be. */
export async function queueCancelCommand(jobId: string, opts: QueueOptions): Promise<void> {
  const result = await withQueue(opts.queue, (q) => cancelJob(q, jobId));
  if (!result.ok) throw new ExitError(`tessera queue cancel: ${result.message}`);
  say(result.message);
}

/** Retries a failed job (its run resumes from the last checkpoint); exit 1 if it cannot be. */
export async function queueRetryCommand(jobId: string, opts: QueueOptions): Promise<void> {
  const result = await withQueue(opts.queue, (q) => retryJob(q, jobId));
  if (!result.ok) throw new ExitError(`tessera queue retry: ${result.message}`);
  say(result.message);
}

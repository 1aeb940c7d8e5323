/**
 * `tessera worker`: takes run jobs from the queue with a BullMQ Worker (at-least-once delivery,
 * locks renewed while a job runs, stalled jobs — a worker that died — moved back and taken by
 * another) and runs each as a child `tessera run` (worker-job.ts). Closing it stops its runs at
 * their next batch with a resume point and gives their jobs back for another attempt.
 */
import type { ChildProcess } from "node:child_process";
import { availableParallelism, hostname } from "node:os";
import { join, resolve } from "node:path";
import { Worker } from "bullmq";
import type { BackendName } from "@tessera/shared";
import type { RunJob } from "@tessera/shared/cluster";
import { connectOrFail, parseQueueUrl, redisConnection } from "./connection";
import { QUEUE_NAME, cancelKey } from "./queue";
import type { RunSyncFactory } from "./sync";
import { processRunJob, type JobContext, type JobResult } from "./worker-job";

export interface StartWorkerOptions {
  queueUrl: string;
  /** Runs at once. @default 1 */
  concurrency?: number;
  /** `--backend` for every run; jobs with `requires.backend` go only to workers with it. */
  backend?: BackendName;
  /** Shown in `queue ls` and the dashboard. @default `<hostname>-<pid>` */
  name?: string;
  /** Relative `data.path`s in jobs are resolved here. @default the working directory */
  dataRoot?: string;
  /** This worker's own run folders. @default ./runs */
  runsDir?: string;
  /** Logs and job configs. @default `<runsDir>/../.tessera-worker/<name>` */
  stateDir?: string;
  /** wasm threads per run. @default cores / concurrency */
  threads?: number;
  /** Pushes runs to the central server; null keeps them local. */
  sync?: RunSyncFactory;
  /** How long a job's lock lasts without renewal: a dead worker's job is retried after about this. @default 30000 */
  lockDurationMs?: number;
  /** How often stalled jobs are looked for. @default 30000 */
  stalledIntervalMs?: number;
  log?: (line: string) => void;
}

export interface RunningWorker {
  name: string;
  worker: Worker<RunJob, JobResult>;
  /** Stops taking jobs, stops running runs at their next batch (resume point kept), and disconnects. */
  close(): Promise<void>;
}

/** Connects (QueueError if it cannot) and starts taking jobs. */
export async function startWorker(opts: StartWorkerOptions): Promise<RunningWorker> {
  const address = parseQueueUrl(opts.queueUrl);
  const redis = redisConnection(address);
  await connectOrFail(redis, address);
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const concurrency = opts.concurrency ?? 1;
  const name = opts.name ?? `${hostname()}-${process.pid}`;
  const runsDir = resolve(opts.runsDir ?? process.env.TESSERA_RUNS_DIR ?? "runs");
  const children = new Set<ChildProcess>();
  let stopping = false;
  let keyOf: (jobId: string) => string = (jobId) => jobId;
  const ctx: JobContext = {
    name,
    dataRoot: resolve(opts.dataRoot ?? "."),
    confineData: opts.dataRoot !== undefined,
    runsDir,
    stateDir: resolve(opts.stateDir ?? join(runsDir, "..", ".tessera-worker", name)),
    backend: opts.backend ?? null,
    threads: opts.threads ?? Math.max(1, Math.floor(availableParallelism() / concurrency)),
    sync: opts.sync ?? null,
    cancelled: async (jobId) => (await redis.exists(keyOf(jobId))) === 1,
    clearCancel: async (jobId) => void (await redis.del(keyOf(jobId))),
    children,
    stopping: () => stopping,
    log,
    requeueDelayMs: 5000,
  };
  const worker = new Worker<RunJob, JobResult>(QUEUE_NAME, (job, token) => processRunJob(job, token, ctx), {
    connection: redis,
    concurrency,
    name,
    lockDuration: opts.lockDurationMs ?? 30_000,
    stalledInterval: opts.stalledIntervalMs ?? 30_000,
    // A job whose worker died is moved back this many times before it fails as stalled.
    maxStalledCount: 3,
  });
  keyOf = (jobId) => cancelKey(worker, jobId);
  worker.on("error", (error) => log(`worker ${name}: ${error.message}`));
  worker.on("completed", (job, result) => log(`job ${job.id}: run ${result.runId} ${result.status}`));
  worker.on("failed", (job, error) => log(`job ${job?.id ?? "?"}: failed: ${error.message}`));
  worker.on("stalled", (jobId) => log(`job ${jobId}: stalled (its worker stopped renewing the lock); retrying`));
  log(
    `tessera worker ${name}: queue ${address.display}, backend ${ctx.backend ?? "auto"}, concurrency ${concurrency}, ` +
      `runs in ${runsDir}, data root ${ctx.dataRoot}`,
  );
  return {
    name,
    worker,
    close: async () => {
      stopping = true;
      // One SIGINT each: the run stops after its batch with a resume point; the job is retried.
      for (const child of children) child.kill("SIGINT");
      await worker.close();
      redis.disconnect();
    },
  };
}

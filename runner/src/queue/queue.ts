/**
 * The run queue: one BullMQ queue on the Redis named by `--queue`. Submitters, the dashboard and
 * workers all open it here, so they agree on its name and on how a Tessera priority (higher runs
 * sooner) maps onto BullMQ's (1 runs first).
 */
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { PRIORITY_MAX, type RunJob } from "@tessera/shared/cluster";
import { connectOrFail, parseQueueUrl, redisConnection, type QueueAddress } from "./connection";

/** The BullMQ queue every Tessera process uses. */
export const QUEUE_NAME = "tessera-runs";

/** An open queue; `close()` it when done (it holds a Redis connection). */
export interface RunQueue {
  queue: Queue<RunJob>;
  /** The connection the queue uses (for the cancel flags beside the queue's keys). */
  redis: Redis;
  address: QueueAddress;
  close(): Promise<void>;
}

/**
 * Opens the queue at `url` (`redis://[:password@]host:port/db` or `rediss://`); throws QueueError
 * naming `flag` when the URL is malformed or Redis cannot be reached within `timeoutMs`.
 */
export async function openQueue(url: string, opts: { flag?: string; timeoutMs?: number } = {}): Promise<RunQueue> {
  const address = parseQueueUrl(url, opts.flag);
  const redis = redisConnection(address);
  await connectOrFail(redis, address, opts);
  // A queue error (e.g. Redis restarting) is logged by whoever watches; unhandled it would crash.
  redis.on("error", () => undefined);
  const queue = new Queue<RunJob>(QUEUE_NAME, { connection: redis });
  queue.on("error", () => undefined);
  return {
    queue,
    redis,
    address,
    close: async () => {
      await queue.close();
      redis.disconnect();
    },
  };
}

/** BullMQ's priority (1 = first, up to 2^21) for a Tessera priority (higher = sooner). */
export function bullPriority(priority: number): number {
  return PRIORITY_MAX + 1 - priority;
}

/** The Redis key whose presence asks the worker running `jobId` to stop it (see cancelJob). */
export function cancelKey(queue: { qualifiedName: string }, jobId: string): string {
  return `${queue.qualifiedName}:tessera-cancel:${jobId}`;
}

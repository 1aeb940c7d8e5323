/**
 * What a worker needs from the central server, as an interface so the worker does not care how it
 * is done: runner/src/remote/ (the ingest client) implements it over tRPC and HTTP. Without a
 * server (`tessera worker` with no `--server`) the worker keeps its run folders local.
 */
import type { RunJob } from "@tessera/shared/cluster";

/** One job's sync with the server. */
export interface RunSync {
  /**
   * Claims the run for this worker (the server refuses a writer it did not give the run to, and the
   * latest claim wins). When the server already has events for it — a retried or stalled job that
   * another worker started — it downloads the run folder (events and resume checkpoint) into
   * `runDir` and returns `resume: true`, so the run continues instead of starting again.
   */
  claim(opts: { job: RunJob; jobId: string; attempt: number; runDir: string }): Promise<{ resume: boolean }>;
  /** Starts pushing `runDir`'s events (in seq order) and files while the run trains. */
  start(runDir: string): RunPush;
}

export interface RunPush {
  /** Pushes what is left (events, summary, reports, checkpoint) and stops; rejects if the server never took it. */
  finish(): Promise<void>;
  /** Stops pushing without waiting (the worker is going away; the run folder stays the buffer). */
  stop(): Promise<void>;
}

/** Makes the sync of one job; null when the worker runs without a server. */
export type RunSyncFactory = ((job: RunJob) => RunSync) | null;

/**
 * What a worker needs from the central server, as an interface so the worker does not care how it
 * is done: remote-sync.ts implements it with the ingest client (runner/src/remote/). Without a
 * server (`tessera worker` with no `--server`) the worker keeps its run folders local.
 */
import type { RunJob } from "@tessera/shared/cluster";

/** One job's sync with the server. */
export interface RunSync {
  /**
   * Claims the run for this worker (the server refuses a writer it did not give the run to, and the
   * latest claim wins). When the server already has events for it — a retried or stalled job that
   * another worker started — the run folder (events and resume checkpoint) is in `runDir` after
   * this, and `resume` is true, so the run continues instead of starting again.
   */
  claim(opts: { jobId: string; attempt: number; runDir: string }): Promise<{ resume: boolean }>;
  /** Starts pushing `runDir`'s events (in seq order) and files while the run trains. */
  start(runDir: string, opts: { attempt: number; jobId: string; onRefused(message: string): void }): RunPush;
}

export interface RunPush {
  /** Pushes what is left (events, summary, reports, checkpoint) and stops; rejects if the server did not take it all. */
  finish(): Promise<void>;
}

/** What the sync of a job may know about the worker. */
export interface SyncWorker {
  name: string;
  stateDir: string;
  log(line: string): void;
}

/** Makes the sync of one job; null when the worker runs without a server. */
export type RunSyncFactory = ((job: RunJob, worker: SyncWorker) => RunSync) | null;

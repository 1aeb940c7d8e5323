/**
 * How a sweep's trials get run, behind one interface so the driver does not care where: the local
 * executor starts child processes on this machine; a queue executor (a later issue: BullMQ workers
 * on many machines) takes the same jobs. A job names its run folder up front and the driver reads
 * the outcome's numbers from that folder (the run store is the source of truth), so an executor
 * only has to make `tessera run` happen and say how it ended.
 */

/** One unit of work: start a trial's run, or continue it (a promotion, or after a crash). */
export interface TrialJob {
  sweepId: string;
  trial: number;
  /** The run folder's id, fixed before the run starts so a crashed driver finds it again. */
  runId: string;
  runsDir: string;
  start: { kind: "new"; configFile: string; sets: string[] } | { kind: "resume" };
  /** Stop after this many epochs of the schedule (an ASHA rung), or null for the whole schedule. */
  stopAtEpoch: number | null;
  /** Where the trial's stderr goes. */
  logFile: string;
  /** Folder where trials share frozen-prefix activation rows (see train/activation-cache/share.ts). */
  shareDir: string;
}

/** How a job ended, from the executor's side (the metrics are in the run folder). */
export interface TrialOutcome {
  status: "finished" | "stopped_early" | "interrupted" | "failed";
  /** For failed: the run's `run_failed` error, or the process's last words. */
  error: string | null;
}

export interface TrialExecutor {
  /** How many jobs may run at once. */
  readonly slots: number;
  /** Runs one job to its end; never rejects (a crash is a `failed` outcome). */
  run(job: TrialJob): Promise<TrialOutcome>;
  /** Ctrl-C: ask every running job to stop at its next batch boundary, keeping a resume point. */
  stopAll(): void;
  /** A second Ctrl-C: end every running job now (their folders stay resumable). */
  killAll(): void;
  /**
   * Before a resumed sweep recovers a job its dead driver left running: wait until whatever ran it
   * has stopped (a local child stops at its next batch once its parent is gone), so two processes
   * never write one run folder. An executor must make that wait complete: a process that can write
   * the run must be findable here before it writes (the local executor's start handshake).
   */
  waitForOrphan(job: TrialJob): Promise<void>;
}

/**
 * What the dashboard can ask of the queue, given to it by whoever started the server. The dashboard
 * depends on shared only (ARCHITECTURE.md), so it cannot resolve configs or talk BullMQ itself: the
 * runner's `tessera dashboard --queue redis://...` implements this interface (runner/src/queue/) and
 * hands it over with `setLauncher` before Next starts. Without one the Launch page says the server
 * has no queue. Kept on globalThis for the same reason as run-changes.ts.
 */

/** A committed config plus `--set` overrides, as typed in the Launch form. */
export interface LaunchRequest {
  /** Path relative to the configs folder, e.g. `demo.yaml`. */
  config: string;
  sets: string[];
  priority?: number;
}

/** The plan of a launch request: the text `tessera plan` prints, or the config's problems. */
export type LaunchPlan = { ok: true; text: string; configHash: string } | { ok: false; problems: string[] };

/** One job as the queue pages show it. */
export interface QueueJob {
  jobId: string;
  runId: string;
  name: string;
  state: "waiting" | "prioritized" | "delayed" | "active" | "completed" | "failed" | "unknown";
  priority: number;
  attempts: number;
  worker: string | null;
  sweep: { id: string; trial: number } | null;
  enqueuedAt: string;
  error: string | null;
}

export interface Launcher {
  plan(request: LaunchRequest): Promise<LaunchPlan>;
  /** Validates, then enqueues; a config with problems is refused with them and nothing enqueued. */
  enqueue(
    request: LaunchRequest,
  ): Promise<{ ok: true; jobId: string; runId: string } | { ok: false; problems: string[] }>;
  list(): Promise<QueueJob[]>;
  cancel(jobId: string): Promise<{ ok: boolean; message: string }>;
  /** Re-run: a failed job is retried; a finished run is enqueued again as a new run of the same config. */
  rerun(jobId: string): Promise<{ ok: boolean; message: string; jobId?: string }>;
}

const KEY = Symbol.for("tessera.launcher");
const holder = globalThis as unknown as Record<symbol, Launcher | undefined>;

/** Installs the queue behind the Launch page (the runner calls this before starting Next). */
export function setLauncher(launcher: Launcher | undefined): void {
  holder[KEY] = launcher;
}

/** The installed launcher, or undefined when this server was started without a queue. */
export function getLauncher(): Launcher | undefined {
  return holder[KEY];
}

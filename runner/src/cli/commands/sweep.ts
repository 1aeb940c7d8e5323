/** `tessera sweep <file>` / `tessera sweep --resume <id>`: run a sweep's trials to the end. */
import { ExitError, UsageError } from "../../errors";
import { runSweep } from "../../sweep/drive";
import type { QueueExecutor } from "../../sweep/queue-executor";
import { printJson, say } from "../../runs/cli-text";
import { trialTable } from "./sweep-show";
import { planCommand } from "./plan";

export interface SweepCommandOptions {
  resume?: string;
  sweepsDir?: string;
  runsDir?: string;
  threads?: number;
  json?: boolean;
  dryRun?: boolean;
  /** Enqueue the trials on this BullMQ queue for `tessera worker`s instead of running them here. */
  queue?: string;
  /** With `queue`: the trials' priority (higher runs sooner). */
  priority?: number;
  /** With `queue`: only workers started with this `--backend` take the trials. */
  requiresBackend?: string;
}

/**
 * Ctrl-C asks every trial to stop at its next batch (each keeps a resume point) and the sweep ends
 * `interrupted`; a second Ctrl-C leaves at once — the trials still stop on their own, because their
 * IPC channel to this process closes. Exit 0 when every trial finished or was stopped by ASHA, 1
 * when any failed, 130 when interrupted.
 */
export async function sweepCommand(file: string | undefined, opts: SweepCommandOptions = {}): Promise<void> {
  if (file && opts.resume) throw new UsageError("tessera sweep: give <file> or --resume <id>, not both");
  if (!file && !opts.resume) throw new UsageError("tessera sweep: missing <file> (a YAML file with a sweep: section)");
  if (opts.dryRun) {
    if (!file) throw new UsageError("tessera sweep --dry-run: give the sweep <file>");
    return planCommand(file, {
      ...(opts.json ? { json: true } : {}),
      ...(opts.runsDir ? { runsDir: opts.runsDir } : {}),
    });
  }
  if ((opts.priority !== undefined || opts.requiresBackend) && !opts.queue)
    throw new UsageError("tessera sweep: --priority and --requires-backend need --queue");
  // Opened before anything is written, so an unreachable Redis fails the command with nothing created.
  let queued: QueueExecutor | null = null;
  if (opts.queue) {
    const { queueExecutor } = await import("../../sweep/queue-executor");
    queued = await queueExecutor({
      url: opts.queue,
      parallel: 1,
      ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
      ...(opts.requiresBackend ? { requiresBackend: opts.requiresBackend } : {}),
    });
  }
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    say(
      `\n${signal}: stopping every trial after its current batch (again to leave at once; the sweep stays resumable)`,
    );
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const result = await runSweep({
      ...(file ? { file } : {}),
      ...(opts.resume ? { resume: opts.resume } : {}),
      ...(opts.sweepsDir ? { sweepsDir: opts.sweepsDir } : {}),
      ...(opts.runsDir ? { runsDir: opts.runsDir } : {}),
      ...(opts.threads ? { threads: opts.threads } : {}),
      signal: controller.signal,
      say: (line) => say(`sweep: ${line}`),
      // The sweep's `parallel:` decides how many trial jobs are in the queue at once.
      ...(queued ? { executor: ({ parallel }: { parallel: number }) => ({ ...queued!, slots: parallel }) } : {}),
    });
    const { state } = result;
    say(trialTable(state));
    say(
      `${state.status}: ${result.dir}${state.status === "interrupted" ? `\n  continue with: tessera sweep --resume ${result.id}` : ""}`,
    );
    if (opts.json)
      printJson({ id: result.id, dir: result.dir, status: state.status, best: state.best, trials: state.trials });
    // The message was printed above; the exit code says how it ended (main() maps ExitError to it).
    if (state.status === "interrupted") throw new ExitError("", 130);
    if (state.trials.some((t) => t.status === "failed")) throw new ExitError("", 1);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await queued?.close();
  }
}

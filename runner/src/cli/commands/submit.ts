/** `tessera submit <config> [--set k=v]... --queue URL [--priority n] [--requires-backend b]`: enqueue one run. */
import { formatJobLine } from "./queue";
import { ConfigError } from "../../errors";
import { openQueue } from "../../queue/queue";
import { enqueueRun } from "../../queue/submit";
import { printJson } from "../../runs/cli-text";

export interface SubmitOptions {
  queue: string;
  set?: string[];
  priority?: number;
  requiresBackend?: string;
  dataRoot?: string;
  json?: boolean;
}

/** Validates, then enqueues; a config with problems exits 1 with every problem and enqueues nothing. */
export async function submitCommand(config: string, opts: SubmitOptions): Promise<void> {
  const q = await openQueue(opts.queue);
  try {
    const result = await enqueueRun(q, {
      configFile: config,
      sets: opts.set ?? [],
      ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
      ...(opts.requiresBackend ? { requiresBackend: opts.requiresBackend } : {}),
      ...(opts.dataRoot ? { dataRoot: opts.dataRoot } : {}),
    });
    if (!result.ok)
      throw new ConfigError(`${result.problems.join("\n")}\ntessera submit: nothing enqueued`, result.problems);
    for (const w of result.warnings) process.stderr.write(`${w}\n`);
    if (opts.json) printJson({ job_id: result.jobId, run_id: result.runId, config_hash: result.job.configHash });
    else process.stderr.write(`enqueued ${formatJobLine(result.jobId, result.runId, q.address.display)}\n`);
  } finally {
    await q.close();
  }
}

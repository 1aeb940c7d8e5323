/**
 * The dashboard's Launch and Queue pages, implemented over the run queue: the dashboard depends on
 * shared only, so `tessera dashboard --queue URL` builds this and hands it to `startDashboard`.
 * Configs come only from the configs folder (a request naming `../x.yaml` is refused): the Launch
 * form picks a committed config, it does not read arbitrary files on the server.
 */
import { existsSync, realpathSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import type { Launcher, LaunchPlan, LaunchRequest } from "@tessera/dashboard/serve";
import type { RunJob } from "@tessera/shared/cluster";
import { checkConfig, formatProblem } from "../config";
import { makePlan } from "../config/plan";
import { formatPlan } from "../config/plan-format";
import { makeRunId } from "../runs";
import { cancelJob, listJobs, retryJob } from "./manage";
import { openQueue, type RunQueue } from "./queue";
import { addJob, enqueueRun } from "./submit";

/** A Launcher that also owns its Redis connection. */
export interface QueueLauncher extends Launcher {
  queue: RunQueue;
  close(): Promise<void>;
}

/** Connects to the queue at `queueUrl` (throws QueueError if it cannot) and returns the launcher. */
export async function createLauncher(queueUrl: string, configsDir: string): Promise<QueueLauncher> {
  const q = await openQueue(queueUrl);
  const root = resolve(configsDir);
  return {
    queue: q,
    close: () => q.close(),
    async plan(request: LaunchRequest): Promise<LaunchPlan> {
      const file = configPath(root, request.config);
      if (typeof file !== "string") return file;
      const checked = await checkConfig(file, { set: request.sets, sweepTrials: false });
      if (!checked.ok) return { ok: false, problems: checked.errors.map(formatProblem) };
      const text = formatPlan(makePlan(checked.loaded, null));
      return { ok: true, text, configHash: checked.loaded.configHash };
    },
    async enqueue(request: LaunchRequest) {
      const file = configPath(root, request.config);
      if (typeof file !== "string") return file;
      const result = await enqueueRun(q, {
        configFile: file,
        sets: request.sets,
        ...(request.priority !== undefined ? { priority: request.priority } : {}),
      });
      return result.ok ? { ok: true as const, jobId: result.jobId, runId: result.runId } : result;
    },
    list: () => listJobs(q),
    cancel: (jobId) => cancelJob(q, jobId),
    async rerun(jobId) {
      const job = await q.queue.getJob(jobId);
      if (!job) return { ok: false, message: `no job ${jobId} in the queue` };
      const state = await job.getState();
      if (state === "failed") return retryJob(q, jobId);
      if (state !== "completed") return { ok: false, message: `job ${jobId} is ${state}; nothing to re-run yet` };
      // A finished run stays as it is: a re-run is a new run (new id) of the very same job config.
      const old = job.data as RunJob;
      const data: RunJob = { ...old, runId: makeRunId(old.name), submittedAt: new Date().toISOString() };
      const added = await addJob(q, data);
      if (!added.ok) return { ok: false, message: added.problems.join("; ") };
      return { ok: true, message: `enqueued ${added.runId} as a new run`, jobId: added.jobId };
    },
  };
}

/** The config's absolute path inside `root`, or the problem with the request's `config`. */
function configPath(root: string, config: string): string | { ok: false; problems: string[] } {
  const refuse = (why: string) => ({ ok: false as const, problems: [`config ${JSON.stringify(config)}: ${why}`] });
  if (!/\.ya?ml$/i.test(config)) return refuse("must name a .yaml or .yml file in the configs folder");
  const file = resolve(root, config);
  const inside = (p: string, r: string) => {
    const rel = relative(r, p);
    return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
  };
  if (!inside(file, root)) return refuse("must lie inside the configs folder");
  if (!existsSync(file)) return refuse("not found in the configs folder");
  // A symlink inside the folder must not lead out of it.
  if (!inside(realpathSync(file), realpathSync(root))) return refuse("must lie inside the configs folder");
  return file;
}

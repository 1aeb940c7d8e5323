/**
 * `runSweep`: drives a sweep to its end through an executor. Picks the next job (a trial to
 * recover after a crash, else an ASHA promotion, else the next new trial), records every step in
 * trials.jsonl before and after it happens, and keeps summary.json current. A resumed sweep first
 * settles the trials its dead predecessor left running: finished ones are recorded, interrupted ones
 * continue from their resume points, and new draws continue at the sampler's next index.
 */
import { availableParallelism } from "node:os";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ashaPromotion,
  RUN_FILES,
  SWEEP_FILES,
  type RungResult,
  type RunMeta,
  type SweepState,
  type TrialRecord,
} from "@tessera/shared";
import { ExitError } from "../errors";
import { makeRunId, processAlive, runsDirFrom } from "../runs";
import type { TrialExecutor, TrialJob, TrialOutcome } from "./executor";
import { loadSweep, type LoadedSweep } from "./load";
import { localExecutor } from "./local-executor";
import { trialResult } from "./result";
import { createSweep, readSweepMeta, reopenSweep, sweepDir, sweepsDirFrom, type SweepWriter } from "./store";
import { sweepSummary } from "./summary";

export interface RunSweepOptions {
  /** A sweep file to start, or `resume` with a sweep id. */
  file?: string;
  resume?: string;
  sweepsDir?: string;
  runsDir?: string;
  /** wasm threads per trial; default cores / parallel (at least 1). */
  threads?: number;
  /** Swap the executor (tests, a queue); default local child processes. */
  executor?: (opts: { parallel: number; threads: number; backendFile: string }) => TrialExecutor;
  /** Aborting stops every trial at a batch boundary; the sweep ends `interrupted`. */
  signal?: AbortSignal;
  /** Progress lines (stderr in the CLI). */
  say?: (line: string) => void;
}

export interface RunSweepResult {
  id: string;
  dir: string;
  state: SweepState;
}

type Job = TrialJob & { target: number | null; record: () => void };

export async function runSweep(opts: RunSweepOptions): Promise<RunSweepResult> {
  const say = opts.say ?? (() => undefined);
  const { loaded, writer } = await openSweep(opts);
  const meta = writer.meta;
  const sweep = loaded.sweep;
  const executor = (opts.executor ?? localExecutor)({
    parallel: sweep.parallel,
    threads: meta.threads,
    backendFile: join(writer.dir, SWEEP_FILES.backend),
  });
  const logs = join(writer.dir, SWEEP_FILES.logs);
  mkdirSync(logs, { recursive: true });
  const rungs = loaded.rungs;
  const job = (
    trial: number,
    runId: string,
    start: TrialJob["start"],
    target: number | null,
    record: () => void,
  ): Job => ({
    sweepId: meta.id,
    trial,
    runId,
    runsDir: meta.runs_dir,
    start,
    stopAtEpoch: target !== null && target < loaded.epochs ? target : null,
    logFile: join(logs, `trial-${trial}.log`),
    shareDir: join(writer.dir, "activations"),
    target,
    record,
  });
  const pending: Job[] = await recover(writer, loaded, executor, job, say);
  let stopping = false;
  opts.signal?.addEventListener("abort", () => {
    stopping = true;
    executor.stopAll();
  });

  const nextJob = async (running: ReadonlySet<number>): Promise<Job | null> => {
    const queued = pending.shift();
    if (queued) return queued;
    const state = writer.state();
    if (rungs && sweep.asha) {
      const results: RungResult[] = writer
        .records()
        .flatMap((r) => (r.type === "rung_reached" ? [{ trial: r.trial, rung: r.rung, value: r.value ?? NaN }] : []));
      const up = ashaPromotion(results, running, {
        rungs: rungs.length,
        reduction: sweep.asha.reduction,
        mode: sweep.mode,
      });
      const row = up && state.trials.find((t) => t.trial === up.trial);
      if (up && row) {
        const target = rungs[up.to]!;
        return job(up.trial, row.run_id, { kind: "resume" }, target, () =>
          writer.append({
            type: "trial_resumed",
            trial: up.trial,
            run_id: row.run_id,
            reason: "promoted",
            target_epochs: target,
          }),
        );
      }
    }
    const index = state.nextIndex;
    if (index >= sweep.trials) return null;
    const planned = await loaded.trial(index);
    const runId = `${meta.id}-t${index}`;
    const target = rungs && rungs.length > 1 ? rungs[0]! : null;
    return job(index, runId, { kind: "new", configFile: loaded.file, sets: planned.sets }, target, () =>
      writer.append({
        type: "trial_started",
        trial: index,
        run_id: runId,
        params: planned.params,
        config_hash: planned.configHash,
        sampler: { seed: sweep.seed, next_index: index + 1 },
        target_epochs: target,
      }),
    );
  };

  const settle = (j: Job, outcome: TrialOutcome) => {
    recordOutcome(writer, loaded, j, outcome);
    const row = writer.state().trials.find((t) => t.trial === j.trial);
    const value = row?.objective === null || row?.objective === undefined ? "-" : row.objective.toFixed(4);
    say(
      `trial ${j.trial}: ${row?.status ?? outcome.status} ${sweep.metric} ${value}${outcome.error ? ` (${outcome.error})` : ""}`,
    );
    writer.writeSummary(sweepSummary(writer.state(), sweep, loaded.epochs));
  };

  const running = new Map<number, Promise<void>>();
  try {
    for (;;) {
      while (!stopping && running.size < executor.slots) {
        const next = await nextJob(new Set(running.keys()));
        if (!next) break;
        next.record();
        say(
          `trial ${next.trial}: ${next.start.kind === "new" ? "started" : "continued"} ${next.runId}${next.stopAtEpoch ? ` (to epoch ${next.stopAtEpoch})` : ""}`,
        );
        running.set(
          next.trial,
          executor.run(next).then((outcome) => {
            running.delete(next.trial);
            settle(next, outcome);
          }),
        );
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
    if (stopping) {
      writer.append({ type: "sweep_interrupted" });
    } else {
      for (const row of writer.state().trials.filter((t) => t.status === "paused")) {
        writer.append({
          type: "trial_stopped",
          trial: row.trial,
          run_id: row.run_id,
          objective: row.objective,
          rung: row.rung ?? 0,
          epochs: row.epochs,
        });
      }
      writer.append({ type: "sweep_finished", best: writer.state().best });
    }
    const state = writer.state();
    writer.writeSummary(sweepSummary(state, sweep, loaded.epochs));
    return { id: meta.id, dir: writer.dir, state };
  } finally {
    writer.close();
  }
}

/** Records how a job ended, with the objective read from its run folder. */
function recordOutcome(writer: SweepWriter, loaded: LoadedSweep, j: Job, outcome: TrialOutcome): void {
  const base = { trial: j.trial, run_id: j.runId };
  const rungs = loaded.rungs;
  switch (outcome.status) {
    case "finished":
    case "stopped_early": {
      const r = trialResult(j.runsDir, j.runId, loaded.sweep.metric);
      if (rungs) {
        // The rung this segment reached: the highest whose epochs it trained.
        const rung = Math.max(0, rungs.filter((e) => e <= r.epochs).length - 1);
        writer.append({ type: "rung_reached", ...base, rung, epochs: r.epochs, value: r.value });
      }
      if (outcome.status === "finished")
        writer.append({ type: "trial_finished", ...base, objective: r.value, epochs: r.epochs });
      return;
    }
    case "interrupted":
      writer.append({ type: "trial_interrupted", ...base });
      return;
    case "failed":
      writer.append({ type: "trial_failed", ...base, error: outcome.error ?? "unknown error" });
      return;
  }
}

/** Creates the sweep folder, or reopens it for `--resume` (refusing a sweep file that changed). */
async function openSweep(opts: RunSweepOptions): Promise<{ loaded: LoadedSweep; writer: SweepWriter }> {
  const sweepsDir = sweepsDirFrom(opts.sweepsDir);
  if (opts.resume) {
    const dir = sweepDir(sweepsDir, opts.resume);
    const meta = readSweepMeta(dir);
    const loaded = await loadSweep(meta.config_file);
    if (loaded.specHash !== meta.spec_hash)
      throw new ExitError(
        `tessera sweep --resume: ${meta.config_file} changed since sweep ${meta.id} started; refusing to mix two sweeps (start a new one)`,
      );
    const writer = reopenSweep(sweepsDir, meta.id);
    writer.append({ type: "sweep_resumed" });
    return { loaded, writer };
  }
  if (!opts.file)
    throw new ExitError("tessera sweep: missing <file> (a YAML experiment file with a sweep: section)", 2);
  const loaded = await loadSweep(opts.file);
  const parallel = loaded.sweep.parallel;
  const threads = opts.threads ?? Math.max(1, Math.floor(availableParallelism() / parallel));
  const id = makeRunId(loaded.base.config.name);
  const writer = createSweep(
    sweepsDir,
    {
      format: 1,
      id,
      config_file: loaded.file,
      spec_hash: loaded.specHash,
      runs_dir: runsDirFrom(opts.runsDir),
      threads,
      created: new Date().toISOString(),
    },
    loaded.specText,
  );
  writer.append({
    type: "sweep_started",
    sweep_id: id,
    method: loaded.sweep.method,
    metric: loaded.sweep.metric,
    mode: loaded.sweep.mode,
    trials: loaded.sweep.trials,
    parallel,
    seed: loaded.sweep.seed,
    epochs: loaded.epochs,
    rungs: loaded.rungs,
  });
  return { loaded, writer };
}

/**
 * After a crash of the sweep's own process: trials it left `running` (their children stop at the
 * next batch once the sweep's IPC channel closes) or `interrupted`. Waits for each run's lock to be
 * free, then records a run that ended meanwhile, and queues the rest to continue.
 */
async function recover(
  writer: SweepWriter,
  loaded: LoadedSweep,
  executor: TrialExecutor,
  job: (trial: number, runId: string, start: TrialJob["start"], target: number | null, record: () => void) => Job,
  say: (line: string) => void,
): Promise<Job[]> {
  const jobs: Job[] = [];
  for (const row of writer.state().trials) {
    const planned = await loaded.trial(row.trial);
    if (planned.configHash !== row.config_hash)
      throw new ExitError(
        `tessera sweep --resume: trial ${row.trial}'s config_hash changed (${row.config_hash.slice(0, 12)} -> ` +
          `${planned.configHash.slice(0, 12)}); did a base config change? Start a new sweep.`,
      );
    if (row.status !== "running" && row.status !== "interrupted") continue;
    const dir = join(writer.meta.runs_dir, row.run_id);
    say(`trial ${row.trial}: waiting for its last process to stop`);
    await executor.waitForOrphan(job(row.trial, row.run_id, { kind: "resume" }, null, () => undefined));
    await waitForLock(dir, say);
    const meta = existsSync(join(dir, RUN_FILES.meta))
      ? (JSON.parse(readFileSync(join(dir, RUN_FILES.meta), "utf8")) as RunMeta)
      : null;
    const target = row.target_epochs;
    const noop = () => undefined;
    if (meta?.status === "finished" || meta?.status === "stopped_early") {
      recordOutcome(writer, loaded, job(row.trial, row.run_id, { kind: "resume" }, target, noop), {
        status: meta.status,
        error: null,
      });
      continue;
    }
    const start: TrialJob["start"] = meta
      ? { kind: "resume" }
      : { kind: "new", configFile: loaded.file, sets: planned.sets };
    const reason: "crashed" | "interrupted" = row.status === "interrupted" ? "interrupted" : "crashed";
    jobs.push(
      job(row.trial, row.run_id, start, target, () =>
        writer.append({ type: "trial_resumed", trial: row.trial, run_id: row.run_id, reason, target_epochs: target }),
      ),
    );
  }
  return jobs;
}

/** Waits (up to 5 minutes) for the process holding a run's lock to exit. */
async function waitForLock(dir: string, say: (line: string) => void): Promise<void> {
  const file = join(dir, RUN_FILES.lock);
  for (let i = 0; i < 3000; i++) {
    let pid: number | null = null;
    try {
      pid = (JSON.parse(readFileSync(file, "utf8")) as { pid: number }).pid;
    } catch {
      return;
    }
    if (!processAlive(pid)) return;
    if (i === 0) say(`waiting for pid ${pid} to leave ${dir} (a trial stopping at its next batch)`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new ExitError(`tessera sweep --resume: ${dir} is still locked after 5 minutes; stop that process first`);
}

export type { TrialRecord };

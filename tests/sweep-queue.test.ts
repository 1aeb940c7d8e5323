/**
 * `tessera sweep <file> --queue URL` against a real redis-server: the CLI enqueues each trial
 * segment as a BullMQ job and learns from QueueEvents when it ended. The jobs are taken by the
 * queue's real worker (`startWorker`, each run a `tessera run` child) without a central server: its
 * run folders are the runs folder the sweep reads, standing in for the central store. An ASHA sweep of 3 trials proves new trials and promotions both travel as jobs
 * with their sweep tags, that the promoted trial continues its run (not from scratch), and that
 * never more than `parallel` trial jobs are in the queue at once.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { foldTrials, RUN_FILES, SWEEP_FILES, type RunMeta, type TrialRecord } from "@tessera/shared";
import type { RunJob } from "@tessera/shared/cluster";
import { dropSuperseded, readEvents } from "../runner/src/runs";
import { QUEUE_NAME } from "../runner/src/queue/queue";
import { parseQueueUrl, redisConnection } from "../runner/src/queue/connection";
import { startWorker, type RunningWorker } from "../runner/src/queue/worker";
import { missingComponent } from "./helpers/components";
import { REPO_ROOT } from "./helpers/paths";
import { startRedis, type TestRedis } from "./helpers/redis";

const BIN = join(REPO_ROOT, "runner/bin/tessera.js");
const skip = await missingComponent("redis");

function start(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += String(d)));
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on("exit", (code) => resolve({ code, stderr })),
  );
  return { child, exit };
}

const tessera = (args: string[]) => start(args).exit;

const trialRecords = (dir: string): TrialRecord[] =>
  readFileSync(join(dir, SWEEP_FILES.trials), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as TrialRecord);

/** The tiny grid cut to two trials (one parameter, two values). */
function twoTrialGrid(dir: string): string {
  const file = join(dir, `grid-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    readFileSync(join(REPO_ROOT, "tests/fixtures/sweeps/tiny-grid.yaml"), "utf8").replace(
      /\n {4}model\.head\.dropout: .*\n/,
      "\n",
    ),
  );
  return file;
}

describe.skipIf(skip !== null)("tessera sweep --queue", () => {
  let redis: TestRedis;
  let work: string;
  let running: RunningWorker;
  let worker: RunningWorker["worker"];
  let watch: Queue;
  const taken: RunJob[] = [];
  let live = 0;
  let maxLive = 0;

  beforeAll(async () => {
    redis = await startRedis();
    work = mkdtempSync(join(tmpdir(), "tessera-sweep-queue-"));
    const runs = join(work, "runs");
    // Teardown closes Redis under these; their reconnect errors are not the test's business.
    const connection = () => redisConnection(parseQueueUrl(redis.url)).on("error", () => undefined);
    // The queue's own worker, without --server: its run folders are the store the sweep reads.
    running = await startWorker({
      queueUrl: redis.url,
      concurrency: 2,
      threads: 1,
      name: "test-worker",
      runsDir: runs,
      dataRoot: REPO_ROOT,
      stateDir: join(work, "worker-state"),
      log: () => undefined,
    });
    worker = running.worker;
    worker.on("active", (job) => taken.push(job.data));
    worker.on("error", () => undefined);
    // How many trial jobs sit in the queue (waiting or running) at once, seen by the queue itself.
    watch = new Queue(QUEUE_NAME, { connection: connection() });
    const sample = setInterval(() => {
      void watch
        .getJobCounts("waiting", "prioritized", "delayed", "active")
        .then((c) => {
          live = Object.values(c).reduce((a, b) => a + b, 0);
          maxLive = Math.max(maxLive, live);
        })
        .catch(() => undefined);
    }, 50);
    sample.unref();
  });

  afterAll(async () => {
    await running?.close();
    await watch?.close();
    await redis?.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("enqueues ASHA trials and promotions as jobs and records how each ended", async () => {
    const file = join(work, "asha.yaml");
    writeFileSync(
      file,
      readFileSync(join(REPO_ROOT, "tests/fixtures/sweeps/tiny-asha.yaml"), "utf8").replace("trials: 8", "trials: 3"),
    );
    const sweeps = join(work, "sweeps");
    const runs = join(work, "runs");
    const { code, stderr } = await tessera([
      "sweep",
      file,
      "--queue",
      redis.url,
      "--runs-dir",
      runs,
      "--sweeps-dir",
      sweeps,
      "--priority",
      "7",
    ]);
    expect(code, stderr).toBe(0);
    const [id] = readdirSync(sweeps);
    const recs = trialRecords(join(sweeps, id!));
    const state = foldTrials(recs);
    expect(state.status).toBe("finished");
    // ⌊3/3⌋ = 1 trial promoted to the top rung (3 epochs); the other two stopped after 1.
    expect(state.trials.map((t) => t.status).sort()).toEqual(["finished", "stopped_early", "stopped_early"]);
    const promoted = state.trials.find((t) => t.status === "finished")!;

    // Four jobs: three first segments (to epoch 1) and one promotion (to the end), all tagged.
    expect(taken).toHaveLength(4);
    expect(taken.map((j) => j.sweep?.stopAtEpoch).sort()).toEqual([1, 1, 1, null]);
    for (const j of taken) {
      expect(j.sweep?.id).toBe(id);
      expect(j.priority).toBe(7);
    }
    const promotion = taken.find((j) => j.sweep?.stopAtEpoch === null)!;
    expect([promotion.runId, promotion.sweep?.trial]).toEqual([promoted.run_id, promoted.trial]);
    // Never more trial jobs in the queue than the sweep's parallel: 2.
    expect(maxLive).toBeGreaterThan(0);
    expect(maxLive).toBeLessThanOrEqual(2);

    // The promoted run continued from its checkpoint: one epoch event per epoch, and a resume.
    const dir = join(runs, promoted.run_id);
    const events = readEvents(dir, () => undefined);
    expect(events.some((e) => e.type === "run_resumed")).toBe(true);
    expect(dropSuperseded(events).filter((e) => e.type === "epoch")).toHaveLength(3);
    expect((JSON.parse(readFileSync(join(dir, RUN_FILES.meta), "utf8")) as RunMeta).status).toBe("finished");
    expect(promoted.objective).not.toBeNull();
    // Each trial's log says which job ran it.
    expect(readFileSync(join(sweeps, id!, SWEEP_FILES.logs, `trial-${promoted.trial}.log`), "utf8")).toMatch(
      new RegExp(`job ${promoted.run_id}-toend: finished`),
    );
  });

  it("Ctrl-C removes the trials still waiting in the queue; a killed sweep's --resume waits on its jobs instead of enqueuing twice", async () => {
    await worker.pause();
    const runs = join(work, "runs");
    const sweeps = join(work, "sweeps-stop");
    const args = (more: string[]) => [...more, "--queue", redis.url, "--runs-dir", runs, "--sweeps-dir", sweeps];
    const queued = async (sweepId: string | undefined) =>
      (await watch.getJobs(["waiting", "prioritized", "delayed", "active", "completed", "failed"])).filter(
        (j) => j && sweepId !== undefined && (j.data as RunJob).sweep?.id === sweepId,
      );
    const sweepIds = () => (existsSync(sweeps) ? readdirSync(sweeps).sort() : []);

    // 1. Ctrl-C while both trials wait for a worker: both jobs leave the queue, the sweep is interrupted.
    const first = start(args(["sweep", twoTrialGrid(work)]));
    await expect.poll(async () => (await queued(sweepIds()[0])).length, { timeout: 60_000 }).toBe(2);
    first.child.kill("SIGINT");
    const stopped = await first.exit;
    expect(stopped.code, stopped.stderr).toBe(130);
    const [stopId] = sweepIds();
    expect(await queued(stopId)).toHaveLength(0);
    const stopState = foldTrials(trialRecords(join(sweeps, stopId!)));
    expect(stopState.status).toBe("interrupted");
    expect(stopState.trials.map((t) => t.status)).toEqual(["interrupted", "interrupted"]);

    // 2. SIGKILL of the sweep while its jobs wait: they stay queued; --resume finds them and waits on
    // them (no second job per trial), and the trials finish once a worker takes them.
    const killed = start(args(["sweep", twoTrialGrid(work)]));
    await expect.poll(() => sweepIds().length, { timeout: 60_000 }).toBe(2);
    const killId = sweepIds().find((id) => id !== stopId)!;
    await expect.poll(async () => (await queued(killId)).length, { timeout: 60_000 }).toBe(2);
    killed.child.kill("SIGKILL");
    await killed.exit;
    const resumed = start(args(["sweep", "--resume", killId]));
    const logs = join(sweeps, killId, SWEEP_FILES.logs);
    const attached = () =>
      [0, 1].every((t) => {
        const log = join(logs, `trial-${t}.log`);
        return existsSync(log) && readFileSync(log, "utf8").includes("still in the queue, waiting for it");
      });
    await expect.poll(attached, { timeout: 60_000 }).toBe(true);
    const before = taken.length;
    worker.resume();
    const done = await resumed.exit;
    expect(done.code, done.stderr).toBe(0);
    const jobs = await queued(killId);
    expect(jobs.map((j) => j.id).sort()).toEqual(
      foldTrials(trialRecords(join(sweeps, killId)))
        .trials.map((t) => t.run_id)
        .sort(),
    );
    expect(taken.length - before).toBe(2);
    const state = foldTrials(trialRecords(join(sweeps, killId)));
    expect(state.status).toBe("finished");
    expect(state.trials.map((t) => t.status)).toEqual(["finished", "finished"]);
  });

  it("refuses an unreachable queue before writing anything", async () => {
    const sweeps = join(work, "sweeps-none");
    const { code, stderr } = await tessera([
      "sweep",
      join(REPO_ROOT, "tests/fixtures/sweeps/tiny-grid.yaml"),
      "--queue",
      "redis://:hunter2@127.0.0.1:1/0",
      "--sweeps-dir",
      sweeps,
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/--queue redis:\/\/:\*\*\*@127\.0\.0\.1:1\/0: cannot reach Redis/);
    expect(stderr).not.toContain("hunter2");
    expect(existsSync(sweeps)).toBe(false);
  });
});

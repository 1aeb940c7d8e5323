/**
 * `tessera worker`'s job handling against a real redis-server, with real `tessera run` children on
 * tiny configs: a submitted run finishes on the worker; a hostile job, and a job whose data this
 * worker does not have, fail once (not once per attempt); a job requiring a backend the worker lacks
 * is left for another; a running job is cancelled; and a Redis restarted mid-queue loses no job.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RUN_FILES, type RunMeta } from "@tessera/shared";
import { readEvents } from "../../runner/src/runs";
import { cancelJob } from "../../runner/src/queue/manage";
import { openQueue, type RunQueue } from "../../runner/src/queue/queue";
import { enqueueRun } from "../../runner/src/queue/submit";
import { startWorker, type RunningWorker } from "../../runner/src/queue/worker";
import { missingComponent } from "../helpers/components";
import { startRedis, type TestRedis } from "../helpers/redis";

const missing = await missingComponent("redis");

const TINY = `
name: queue-tiny
seed: 7
backend: wasm
data: { source: synthetic, classes: 3, per_class: 8, image_size: 32, split: { valid: 0.25 } }
model: { backbone: resnet18, width: 0.125 }
train:
  batch_size: 8
  stages: [{ name: all, trainable: all, size: 32, epochs: 1, lr: 1e-3 }]
`;

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(missing !== null)("tessera worker (real redis, real tessera run children)", () => {
  let redis: TestRedis;
  let q: RunQueue;
  let dir: string;
  let worker: RunningWorker;
  let config: string;
  const logs: string[] = [];

  const state = async (jobId: string) => (await q.queue.getJob(jobId))?.getState();
  const settled = (jobId: string, ms?: number) =>
    until(
      `job ${jobId} to settle`,
      async () => {
        const s = await state(jobId);
        return s === "completed" || s === "failed" ? s : null;
      },
      ms,
    );

  beforeAll(async () => {
    redis = await startRedis();
    q = await openQueue(redis.url);
    dir = mkdtempSync(join(tmpdir(), "tessera-worker-"));
    config = join(dir, "tiny.yaml");
    writeFileSync(config, TINY);
    worker = await startWorker({
      queueUrl: redis.url,
      name: "test-worker",
      runsDir: join(dir, "runs"),
      dataRoot: join(dir, "worker-data"),
      threads: 1,
      lockDurationMs: 10_000,
      stalledIntervalMs: 5_000,
      log: (line) => logs.push(line),
    });
  });
  afterAll(async () => {
    await worker?.close();
    await q?.close();
    await redis?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("runs a submitted job to a finished run folder with the submitter's config hash", async () => {
    const added = await enqueueRun(q, { configFile: config });
    if (!added.ok) throw new Error(added.problems.join("\n"));
    expect(await settled(added.jobId)).toBe("completed");
    const job = await q.queue.getJob(added.jobId);
    expect(job?.returnvalue).toEqual({ runId: added.runId, status: "finished", worker: "test-worker" });
    expect(job?.attemptsMade).toBe(1);
    const runDir = join(dir, "runs", added.runId);
    const meta = JSON.parse(readFileSync(join(runDir, RUN_FILES.meta), "utf8")) as RunMeta;
    expect(meta).toMatchObject({ id: added.runId, status: "finished", config_hash: added.job.configHash });
    const events = readEvents(runDir, () => undefined);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(events.at(-1)?.type).toBe("run_finished");
  });

  it("fails a hostile job once, without running anything", async () => {
    // A well-formed job in every field but the run id, which would name a folder outside the runs dir.
    const hostile = {
      ...{ format: 1, name: "x", configFile: "x.yaml", configText: TINY, sets: [], priority: 0, gitCommit: null },
      ...{ configHash: "0".repeat(64), submittedAt: new Date().toISOString(), runId: "../../etc" },
    };
    await q.queue.add("hostile", hostile as never, { jobId: "hostile-1", attempts: 3 });
    expect(await settled("hostile-1")).toBe("failed");
    const job = await q.queue.getJob("hostile-1");
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toMatch(/^invalid job hostile-1: \/runId: Expected string to match/);
    expect(existsSync(join(dir, "etc"))).toBe(false);
  });

  it("fails a job whose data this worker does not have once, naming the path under its --data-root", async () => {
    const submitRoot = join(dir, "submit-data");
    mkdirSync(join(submitRoot, "tiles", "a"), { recursive: true });
    const folderConfig = join(dir, "folder.yaml");
    writeFileSync(
      folderConfig,
      TINY.replace(
        /^data: .*$/m,
        `data: { source: folder, path: ${join(submitRoot, "tiles")}, split: { valid: 0.25 } }`,
      ),
    );
    const added = await enqueueRun(q, { configFile: folderConfig, dataRoot: submitRoot });
    if (!added.ok) throw new Error(added.problems.join("\n"));
    expect(await settled(added.jobId)).toBe("failed");
    const job = await q.queue.getJob(added.jobId);
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toContain(`data.path: not found: ${join(dir, "worker-data", "tiles")}`);
    expect(existsSync(join(dir, "runs", added.runId))).toBe(false);
  });

  it("leaves a job that requires a backend this worker lacks for another worker", async () => {
    const added = await enqueueRun(q, { configFile: config, requiresBackend: "webgpu" });
    if (!added.ok) throw new Error(added.problems.join("\n"));
    await until("the worker to pass on the job", async () =>
      logs.some((l) => l.includes(`job ${added.jobId}: requires backend webgpu`)),
    );
    expect(await state(added.jobId)).toMatch(/delayed|waiting|prioritized/);
    expect(existsSync(join(dir, "runs", added.runId))).toBe(false);
    await q.queue.remove(added.jobId).catch(() => undefined);
  });

  it("cancels a running job: the run stops with a resume point and the job fails once as cancelled", async () => {
    const added = await enqueueRun(q, { configFile: config, sets: ["train.stages[0].epochs=50"] });
    if (!added.ok) throw new Error(added.problems.join("\n"));
    const events = join(dir, "runs", added.runId, RUN_FILES.events);
    await until("the run to train", async () => existsSync(events) && readFileSync(events, "utf8").includes('"batch"'));
    expect(await cancelJob(q, added.jobId)).toMatchObject({ ok: true, message: expect.stringMatching(/running/) });
    expect(await settled(added.jobId)).toBe("failed");
    const job = await q.queue.getJob(added.jobId);
    expect(job?.failedReason).toMatch(/^cancelled/);
    expect(job?.attemptsMade).toBe(1);
    const meta = JSON.parse(readFileSync(join(dir, "runs", added.runId, RUN_FILES.meta), "utf8")) as RunMeta;
    expect(meta.status).toBe("interrupted");
  });

  it("loses no job when Redis restarts mid-queue (append-only file on)", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const added = await enqueueRun(q, { configFile: config, sets: [`seed=${i}`] });
      if (!added.ok) throw new Error(added.problems.join("\n"));
      ids.push(added.jobId);
    }
    await until("the first job to start", async () => (await state(ids[0]!)) === "active");
    await redis.restart();
    for (const id of ids) expect(await settled(id, 240_000)).toBe("completed");
    for (const id of ids) {
      const job = await q.queue.getJob(id);
      const meta = JSON.parse(readFileSync(join(dir, "runs", job!.data.runId, RUN_FILES.meta), "utf8")) as RunMeta;
      expect(meta.status).toBe("finished");
    }
  });
});

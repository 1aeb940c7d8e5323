/**
 * The queue's submit side against a real redis-server (password on, appendonly on): configs are
 * validated before anything is enqueued, jobs carry a self-contained config, and ls / cancel /
 * retry / the dashboard's Launcher do what they say. No worker here (tests/cluster/worker.test.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UnrecoverableError, Worker } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { checkRunJob } from "@tessera/shared/cluster";
import { createLauncher } from "../../runner/src/queue/launcher";
import { cancelJob, listJobs, retryJob } from "../../runner/src/queue/manage";
import { QUEUE_NAME, openQueue, type RunQueue } from "../../runner/src/queue/queue";
import { enqueueRun } from "../../runner/src/queue/submit";
import { missingComponent } from "../helpers/components";
import { REPO_ROOT } from "../helpers/paths";
import { startRedis, type TestRedis } from "../helpers/redis";

const missing = await missingComponent("redis");
const DEMO = join(REPO_ROOT, "configs", "demo.yaml");

describe.skipIf(missing !== null)("queue: submit, ls, cancel, retry (real redis)", () => {
  let redis: TestRedis;
  let q: RunQueue;
  let dir: string;

  beforeAll(async () => {
    redis = await startRedis({ password: "pw-for-tests" });
    q = await openQueue(redis.url);
    dir = mkdtempSync(join(tmpdir(), "tessera-queue-"));
  });
  afterAll(async () => {
    await q?.close();
    await redis?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a wrong password or an unreachable Redis, naming the flag and hiding the password", async () => {
    const wrong = redis.url.replace("pw-for-tests", "not-the-pw");
    await expect(openQueue(wrong)).rejects.toThrow(
      /^--queue redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0: cannot reach Redis \(authentication failed/,
    );
    await expect(openQueue(wrong)).rejects.not.toThrow(/not-the-pw/);
    await redis.stop();
    try {
      await expect(openQueue(redis.url, { timeoutMs: 1500 })).rejects.toThrow(/cannot reach Redis \(.*ECONNREFUSED/);
    } finally {
      await redis.restart();
    }
  });

  it("enqueues a valid config with a self-contained config text and lists it with its priority", async () => {
    const result = await enqueueRun(q, { configFile: DEMO, sets: ["train.stages[1].epochs=2"], priority: 5 });
    if (!result.ok) throw new Error(result.problems.join("\n"));
    expect(checkRunJob(result.job).ok).toBe(true);
    expect(result.job.sets).toEqual(["train.stages[1].epochs=2"]);
    expect(result.job.configHash).toMatch(/^[0-9a-f]{64}$/);
    const jobs = await listJobs(q);
    const listed = jobs.find((j) => j.jobId === result.jobId);
    expect(listed).toMatchObject({ runId: result.runId, name: "demo", priority: 5, state: "prioritized" });
  });

  it("enqueues nothing for an invalid config and returns its problems located at the flag", async () => {
    const before = (await listJobs(q)).length;
    const result = await enqueueRun(q, { configFile: DEMO, sets: ["train.batch_size=-4"] });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.join("\n")).toMatch(/--set train\.batch_size=-4.*train\.batch_size/);
    expect((await listJobs(q)).length).toBe(before);
  });

  it("flattens extends and writes data.path relative to the data root", async () => {
    const configs = join(dir, "configs");
    mkdirSync(join(dir, "tiles"), { recursive: true });
    mkdirSync(configs, { recursive: true });
    const demo = parse(await import("node:fs").then((fs) => fs.readFileSync(DEMO, "utf8"))) as Record<string, unknown>;
    const data = { source: "folder", path: "../tiles", label: { from: "folder" }, split: { valid: 0.2 } };
    writeFileSync(join(configs, "base.yaml"), JSON.stringify({ ...demo, data }));
    writeFileSync(join(configs, "child.yaml"), "extends: base.yaml\nname: child\n");
    const result = await enqueueRun(q, { configFile: join(configs, "child.yaml"), sets: [], dataRoot: dir });
    if (!result.ok) throw new Error(result.problems.join("\n"));
    const text = parse(result.job.configText) as Record<string, { path?: string }>;
    expect(text.extends).toBeUndefined();
    expect(text.name).toBe("child");
    expect(text.data?.path).toBe("tiles");
  });

  it("cancels a waiting job by removing it, and refuses to retry a job that has not failed", async () => {
    const result = await enqueueRun(q, { configFile: DEMO });
    if (!result.ok) throw new Error(result.problems.join("\n"));
    expect(await retryJob(q, result.jobId)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/only a failed job/),
    });
    expect(await cancelJob(q, result.jobId)).toMatchObject({ ok: true, message: expect.stringMatching(/removed/) });
    expect(await q.queue.getJob(result.jobId)).toBeUndefined();
    expect(await cancelJob(q, result.jobId)).toMatchObject({ ok: false, message: expect.stringMatching(/no job/) });
  });

  it("retries a failed job with the same run id", async () => {
    const result = await enqueueRun(q, { configFile: DEMO });
    if (!result.ok) throw new Error(result.problems.join("\n"));
    // Fail it the way a worker does for a job retrying cannot fix (this worker fails every job).
    const failing = new Worker(QUEUE_NAME, async () => Promise.reject(new UnrecoverableError("boom")), {
      connection: q.redis.duplicate(),
    });
    try {
      for (let i = 0; i < 100 && (await (await q.queue.getJob(result.jobId))!.getState()) !== "failed"; i++)
        await new Promise((r) => setTimeout(r, 50));
    } finally {
      await failing.close();
    }
    expect((await listJobs(q)).find((j) => j.jobId === result.jobId)).toMatchObject({ state: "failed", error: "boom" });
    expect(await retryJob(q, result.jobId)).toMatchObject({ ok: true });
    const again = await q.queue.getJob(result.jobId);
    expect(await again!.getState()).toMatch(/waiting|prioritized/);
    expect(again!.data.runId).toBe(result.runId);
  });

  it("the Launcher plans and enqueues configs from the configs folder only", async () => {
    const launcher = await createLauncher(redis.url, join(REPO_ROOT, "configs"));
    try {
      const plan = await launcher.plan({ config: "demo.yaml", sets: [] });
      expect(plan.ok && plan.text).toMatch(/head/);
      const bad = await launcher.plan({ config: "demo.yaml", sets: ["train.stages[0].epochs=zero"] });
      expect(bad.ok).toBe(false);
      const escape = await launcher.enqueue({ config: "../tests/fixtures/configs/valid/minimal.yaml", sets: [] });
      expect(escape).toMatchObject({ ok: false, problems: [expect.stringMatching(/inside the configs folder/)] });
      const added = await launcher.enqueue({ config: "demo.yaml", sets: [], priority: -3 });
      expect(added.ok).toBe(true);
      const listed = (await launcher.list()).find((j) => added.ok && j.jobId === added.jobId);
      expect(listed).toMatchObject({ priority: -3, state: "prioritized" });
    } finally {
      await launcher.close();
    }
  });
});

/**
 * `tessera dashboard --queue URL` as a process: it connects to the queue before serving, installs
 * the runner's launcher (the queue router answers from Redis), and a queue it cannot reach stops
 * the command with the flag and the masked URL instead of serving pages that cannot launch.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnDashboard } from "../../runner/src/cli/commands/dashboard";
import { openQueue } from "../../runner/src/queue/queue";
import { enqueueRun } from "../../runner/src/queue/submit";
import { missingComponent } from "../helpers/components";
import { REPO_ROOT } from "../helpers/paths";
import { startRedis, type TestRedis } from "../helpers/redis";

const skip = await missingComponent("redis");

describe.skipIf(skip !== null)("tessera dashboard --queue", () => {
  let redis: TestRedis;
  let scratch: string;

  beforeAll(async () => {
    redis = await startRedis();
    scratch = mkdtempSync(join(tmpdir(), "tessera-dashboard-queue-"));
  });
  afterAll(async () => {
    await redis?.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("serves the queue router from Redis", async () => {
    const q = await openQueue(redis.url);
    const added = await enqueueRun(q, { configFile: join(REPO_ROOT, "configs/demo.yaml") });
    await q.close();
    expect(added.ok).toBe(true);
    const server = await spawnDashboard({
      port: "0",
      runsDir: join(scratch, "runs"),
      configsDir: join(REPO_ROOT, "configs"),
      queue: redis.url,
    });
    try {
      const status = await (await fetch(`${server.url}/api/trpc/queue.status`)).json();
      expect(status).toMatchObject({ result: { data: { enabled: true } } });
      const list = (await (await fetch(`${server.url}/api/trpc/queue.list`)).json()) as {
        result: { data: { runId: string; name: string }[] };
      };
      expect(list.result.data.map((j) => [j.runId, j.name])).toEqual([[added.ok && added.runId, "demo"]]);
    } finally {
      server.stop();
    }
  });

  it("refuses to start when the queue cannot be reached, without printing the password", async () => {
    const started = spawnDashboard({
      port: "0",
      runsDir: join(scratch, "runs"),
      queue: "redis://:hunter2@127.0.0.1:1/0",
    });
    const error = await started.then(
      () => null,
      (e: Error) => e.message,
    );
    expect(error).toMatch(/--queue redis:\/\/:\*\*\*@127\.0\.0\.1:1\/0: cannot reach Redis/);
    expect(error).not.toContain("hunter2");
  });
});

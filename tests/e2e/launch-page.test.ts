/**
 * The Launch and Queue pages in chromium over a real redis-server and the runner's BullMQ launcher
 * (what `tessera dashboard --queue URL` installs): pick the committed demo config, add a `--set`
 * with a typo and see the runner's problem, fix it and see the plan, enqueue, find the job on the
 * Queue page and in Redis with the override in it, then cancel it there; and a job a worker
 * refused shows its error and goes back to the queue with Re-run. No training: a job only has to
 * reach the queue (or be refused by a stand-in worker).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UnrecoverableError, Worker } from "bullmq";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDashboard, type RunningDashboard } from "../../dashboard/serve";
import { createLauncher, type QueueLauncher } from "../../runner/src/queue/launcher";
import { QUEUE_NAME } from "../../runner/src/queue/queue";
import { missingComponent } from "../helpers/components";
import { REPO_ROOT } from "../helpers/paths";
import { startRedis, type TestRedis } from "../helpers/redis";
import { SCREENSHOTS, browserUnavailable, launch } from "./browser";

const skip = (await browserUnavailable()) ?? (await missingComponent("redis"));

describe.skipIf(skip !== null)("the Launch and Queue pages in chromium", () => {
  let scratch: string;
  let redis: TestRedis;
  let launcher: QueueLauncher;
  let dashboard: RunningDashboard;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), "tessera-e2e-launch-"));
    redis = await startRedis();
    launcher = await createLauncher(redis.url, join(REPO_ROOT, "configs"));
    dashboard = await startDashboard({
      runsDir: join(scratch, "runs"),
      sweepsDir: join(scratch, "sweeps"),
      configsDir: join(REPO_ROOT, "configs"),
      port: 0,
      launcher,
      log: () => undefined,
    });
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await launcher?.close();
    await redis?.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("plans, enqueues and cancels a run of the demo config with a --set", async () => {
    await page.goto(`${dashboard.url}/`);
    await page.getByRole("link", { name: "Launch" }).click();
    await page.waitForURL(/\/launch$/);
    await page.getByTestId("config").selectOption("demo.yaml");
    await page.getByTestId("add-set").click();

    // A typo in the path: the runner's own problem, located at the flag, and no plan.
    await page.getByTestId("set").fill("train.batch_sise=16");
    await page.getByTestId("plan").click();
    await expect.poll(() => page.getByTestId("problems").textContent(), { timeout: 60_000 }).toMatch(/batch_sise/);
    expect(await page.getByTestId("plan-text").count()).toBe(0);
    expect(await page.getByTestId("enqueue").isDisabled()).toBe(true);

    await page.getByTestId("set").fill("train.batch_size=16");
    await page.getByTestId("plan").click();
    const plan = page.getByTestId("plan-text");
    await plan.waitFor({ timeout: 60_000 });
    // The plan is `tessera plan`'s text for the overridden config: both stages of demo.yaml.
    expect(await plan.textContent()).toMatch(/head[\s\S]*\ball\b/);
    expect(await page.getByTestId("problems").count()).toBe(0);

    await page.getByTestId("priority").fill("5");
    await page.getByTestId("enqueue").click();
    const enqueued = page.getByTestId("enqueued");
    await enqueued.waitFor({ timeout: 60_000 });
    const runId = /run (\S+?)\)/.exec((await enqueued.textContent()) ?? "")?.[1];
    expect(runId).toMatch(/^\d{8}-\d{6}-demo-/);
    await page.screenshot({ path: join(SCREENSHOTS, "launch.png"), fullPage: true });

    // The job is in Redis, with the override and priority as typed.
    const [job] = (await launcher.queue.queue.getJobs(["waiting", "prioritized"])).filter(
      (j) => j?.data.runId === runId,
    );
    expect(job?.data.sets).toEqual(["train.batch_size=16"]);
    expect(job?.data.priority).toBe(5);

    await page.getByRole("link", { name: "See the queue" }).click();
    await page.waitForURL(/\/queue$/);
    const row = page.locator(`tr[data-run="${runId}"]`);
    await row.waitFor({ timeout: 30_000 });
    expect(["waiting", "prioritized"]).toContain(await row.getAttribute("data-state"));
    await page.screenshot({ path: join(SCREENSHOTS, "queue.png"), fullPage: true });

    await row.getByTestId("cancel").click();
    await expect.poll(() => page.getByTestId("action-message").textContent(), { timeout: 30_000 }).toMatch(/removed/);
    // The page refreshes by itself: the row goes, and the job is gone from Redis.
    await expect.poll(() => row.count(), { timeout: 30_000 }).toBe(0);
    expect(await launcher.queue.queue.getJob(job!.id!)).toBeUndefined();
  });

  it("shows a failed job's error and re-runs it", async () => {
    const added = await launcher.enqueue({ config: "demo.yaml", sets: [] });
    if (!added.ok) throw new Error(added.problems.join("\n"));
    // A worker that refuses the job the way a real one refuses unusable data: failed once, for good.
    const failing = new Worker(QUEUE_NAME, () => Promise.reject(new UnrecoverableError("no tiles under /data")), {
      connection: launcher.queue.redis.duplicate(),
    });
    await expect
      .poll(async () => (await launcher.queue.queue.getJob(added.jobId))?.getState(), { timeout: 30_000 })
      .toBe("failed");
    await failing.close();

    await page.goto(`${dashboard.url}/queue`);
    const row = page.locator(`tr[data-run="${added.runId}"]`);
    await expect.poll(() => row.getAttribute("data-state"), { timeout: 30_000 }).toBe("failed");
    expect(await row.textContent()).toContain("no tiles under /data");
    await row.getByTestId("rerun").click();
    await expect.poll(() => page.getByTestId("action-message").textContent(), { timeout: 30_000 }).toMatch(/again/);
    await expect.poll(() => row.getAttribute("data-state"), { timeout: 30_000 }).toMatch(/^(waiting|prioritized)$/);
    expect(await row.getByTestId("cancel").count()).toBe(1);
  });
});

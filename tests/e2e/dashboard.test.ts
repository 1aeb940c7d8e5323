/**
 * The dashboard in a real browser (Debian chromium via playwright-core): a temp run store, the
 * production build served by `startDashboard`, a short training run going on while the Run page
 * is open. Asserts live chart growth (no reload), the LR-finder and confusion matrix with the
 * right class count, and the changed config paths on Compare. Screenshots go to __screenshots__/.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDashboard, type RunningDashboard } from "../../dashboard/serve";
import { SCREENSHOTS, browserUnavailable, launch } from "./browser";
import { startLiveRun, TINY_CLASSES, type LiveRun } from "./live-run";
import { populate } from "./populate";

const skip = await browserUnavailable();

describe.skipIf(skip !== null)("dashboard in chromium", () => {
  let scratch: string;
  let root: string;
  let dashboard: RunningDashboard;
  let browser: Browser;
  let page: Page;
  let live: LiveRun;
  let finished: string[];

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), "tessera-e2e-"));
    root = join(scratch, "runs");
    finished = await populate(root, 2);
    dashboard = await startDashboard({
      runsDir: root,
      configsDir: join(scratch, "configs"),
      port: 0,
      log: () => undefined,
    });
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    // every live event seq the Run page receives, to check the stream after a dropped connection
    await page.addInitScript(
      `window.__seqs = []; window.addEventListener("tessera:event", (e) => window.__seqs.push(e.detail));`,
    );
  });

  afterAll(async () => {
    live?.stop();
    await browser?.close();
    await dashboard?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("shows the run live: the accuracy chart gains points while it trains, without a reload", async () => {
    live = await startLiveRun(root, scratch);
    console.info(`e2e: watching a ${live.kind} run (${live.id})`);
    await page.goto(dashboard.url);
    await page.locator(`tr[data-run="${live.id}"]`).waitFor({ timeout: 30_000 });
    await page.locator(`tr[data-run="${live.id}"]`).getByTestId("run-link").click();
    await page.waitForURL(/\/runs\//);
    const acc = page.getByTestId("accuracy-chart");
    await acc.waitFor();
    const navigations: string[] = [];
    page.on("framenavigated", (f) => f === page.mainFrame() && navigations.push(f.url()));

    const points = async () => Number(await acc.getAttribute("data-points"));
    const status = async () => (await page.getByTestId("run-status").textContent())?.trim();
    await expect.poll(points, { timeout: 60_000 }).toBeGreaterThan(0);
    const first = await points();
    expect(await status()).toBe("running");
    await expect.poll(points, { timeout: 120_000, interval: 200 }).toBeGreaterThan(first);
    // it grew while the run was still going, on the same page load
    expect(await status()).toBe("running");
    expect(navigations).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, "run-live.png"), fullPage: true });
  }, 600_000);

  it("resumes the live stream after the server drops the connection, with no gap and no duplicate", async () => {
    const seqs = async () => JSON.parse(await page.evaluate<string>("JSON.stringify(window.__seqs)")) as number[];
    const before = (await seqs()).length;
    expect(before).toBeGreaterThan(0);
    dashboard.server.closeAllConnections(); // the browser's EventSource reconnects with Last-Event-ID
    await expect
      .poll(async () => (await seqs()).length, { timeout: 120_000, interval: 250 })
      .toBeGreaterThan(before + 2);
    const got = await seqs();
    expect(new Set(got).size).toBe(got.length);
    expect(got).toEqual(got.map((_, i) => got[0]! + i));
  }, 300_000);

  it("draws the LR-finder sweep with four suggestions and the confusion matrix with every class", async () => {
    const finder = page.locator('[data-testid^="lr-find-"]').first();
    await finder.waitFor({ timeout: 60_000 });
    expect(await finder.getAttribute("data-suggestions")).toBe("4");
    expect(Number(await finder.locator("canvas").getAttribute("data-points"))).toBeGreaterThan(5);
    const confusion = page.getByTestId("confusion");
    await confusion.waitFor({ timeout: 60_000 });
    expect(Number(await confusion.getAttribute("data-classes"))).toBe(TINY_CLASSES);
    await page.getByLabel("normalised").first().check();
    await expect.poll(() => confusion.getAttribute("data-mode")).toBe("normalised");
    await page.screenshot({ path: join(SCREENSHOTS, "run-panels.png"), fullPage: true });
  });

  it("compares two runs and lists the config paths that changed", async () => {
    await page.goto(dashboard.url);
    for (const id of finished) await page.getByLabel(`select ${id}`).check();
    await page.getByTestId("compare").click();
    await page.waitForURL(/\/compare\?ids=/);
    const diff = page.getByTestId("config-diff");
    await diff.waitFor({ timeout: 30_000 });
    const paths: (string | null)[] = [];
    for (const row of await diff.locator("tr[data-path]").all()) paths.push(await row.getAttribute("data-path"));
    // populate() gives run i seed i and a different head LR
    expect(paths).toEqual(
      expect.arrayContaining(["seed", "train.stages[head].lr.max", "train.stages[fine-tune].lr.max"]),
    );
    expect(paths).not.toContain("train.batch_size");
    await page.getByTestId("compare-confusion-diff").waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, "compare.png"), fullPage: true });
  });
});

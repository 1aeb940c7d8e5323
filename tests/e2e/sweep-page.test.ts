/**
 * The Sweep page in chromium while a real sweep runs (the tiny 2x2 grid, trials as child
 * processes): the Sweeps list links to it, and the trial table and the charts fill in live over the
 * SSE subscription — trials appear, turn finished, the best-so-far chart gains points — without a
 * reload.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDashboard, type RunningDashboard } from "../../dashboard/serve";
import { REPO_ROOT } from "../helpers/paths";
import { SCREENSHOTS, browserUnavailable, launch } from "./browser";

const skip = await browserUnavailable();

describe.skipIf(skip !== null)("the Sweep page in chromium", () => {
  let scratch: string;
  let dashboard: RunningDashboard;
  let browser: Browser;
  let page: Page;
  let sweep: ChildProcess | null = null;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), "tessera-e2e-sweep-"));
    dashboard = await startDashboard({
      runsDir: join(scratch, "runs"),
      sweepsDir: join(scratch, "sweeps"),
      configsDir: join(scratch, "configs"),
      port: 0,
      log: () => undefined,
    });
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  });

  afterAll(async () => {
    sweep?.kill("SIGKILL");
    await browser?.close();
    await dashboard?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("fills the trial table and charts live while the sweep runs", async () => {
    // The tiny grid with longer trials (9 epochs), so the page opens while the first ones still run.
    const file = join(scratch, "grid.yaml");
    const grid = readFileSync(join(REPO_ROOT, "tests/fixtures/sweeps/tiny-grid.yaml"), "utf8");
    writeFileSync(file, grid.replace("size: 32, epochs: 2,", "size: 32, epochs: 8,"));
    const args = ["sweep", file, "--runs-dir", join(scratch, "runs"), "--sweeps-dir", join(scratch, "sweeps")];
    sweep = spawn(process.execPath, [join(REPO_ROOT, "runner/bin/tessera.js"), ...args], {
      cwd: REPO_ROOT,
      stdio: "ignore",
    });
    const exited = new Promise<number | null>((resolve) => sweep!.on("exit", (code) => resolve(code)));
    const sweeps = join(scratch, "sweeps");
    await expect.poll(() => existsSync(sweeps) && readdirSync(sweeps).length === 1, { timeout: 60_000 }).toBe(true);
    const id = readdirSync(sweeps)[0]!;

    await page.goto(`${dashboard.url}/sweeps`);
    await page.locator(`tr[data-sweep="${id}"]`).getByTestId("sweep-link").click();
    await page.waitForURL(/\/sweeps\//);
    const navigations: string[] = [];
    page.on("framenavigated", (f) => f === page.mainFrame() && navigations.push(f.url()));
    const rows = page.locator("tr[data-trial]");
    const finished = page.locator('tr[data-trial][data-status="finished"]');
    const status = async () => (await page.getByTestId("sweep-status").textContent())?.trim();

    await expect.poll(() => rows.count(), { timeout: 120_000 }).toBeGreaterThan(0);
    expect(await status()).toBe("running");
    expect(await finished.count()).toBe(0);
    // The first trials finish while the page is open: their rows change and the charts gain points.
    await expect.poll(() => finished.count(), { timeout: 240_000, interval: 500 }).toBeGreaterThan(0);
    await expect
      .poll(async () => Number(await page.getByTestId("pcp-chart").getAttribute("data-points")), { timeout: 10_000 })
      .toBeGreaterThan(0);
    await expect
      .poll(async () => Number(await page.getByTestId("best-chart").getAttribute("data-points")), { timeout: 10_000 })
      .toBeGreaterThan(0);
    await expect.poll(() => finished.count(), { timeout: 300_000, interval: 500 }).toBe(4);
    await expect.poll(status, { timeout: 30_000 }).toBe("finished");
    expect(navigations).toEqual([]);
    // The parallel-coordinates chart (chartjs-chart-pcp) drew the best trial's line in its red:
    // a chart type that failed to register would leave the canvas blank.
    const redPixels = await page.getByTestId("pcp-chart").evaluate((el) => {
      // tests/ compiles without the DOM lib: the little of a canvas this needs, typed here.
      const canvas = el as unknown as {
        width: number;
        height: number;
        getContext(id: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
      };
      const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
      let n = 0;
      for (let i = 0; i < data.length; i += 4)
        if (Math.abs(data[i]! - 0xd6) < 24 && Math.abs(data[i + 1]! - 0x27) < 24 && Math.abs(data[i + 2]! - 0x28) < 24)
          n++;
      return n;
    });
    expect(redPixels).toBeGreaterThan(50);
    // Each trial links to its run page.
    expect(await rows.first().locator("a").getAttribute("href")).toMatch(new RegExp(`^/runs/${id}-t\\d$`));
    await page.screenshot({ path: join(SCREENSHOTS, "sweep-live.png"), fullPage: true });
    expect(await exited).toBe(0);
  }, 900_000);
});

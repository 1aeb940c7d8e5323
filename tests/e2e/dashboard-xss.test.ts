/**
 * Hostile names in chromium: a run whose class, stage, group and run names and config
 * description are `<img src=x onerror=alert(1)>` and `<script>alert(1)</script>`, shown on every
 * dashboard page. No dialog may open (that is what `alert(1)` would do), no element may be made
 * of a label, and the labels must still be on the page as text.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDashboard, type RunningDashboard } from "../../dashboard/serve";
import { browserUnavailable, launch } from "./browser";
import { FixtureRun } from "./fixture-run";
import { writeSyntheticRun } from "./synthetic";

const IMG = "<img src=x onerror=alert(1)>";
const SCRIPT = "<script>alert(1)</script>";
const CONFIG = `name: evil\ndescription: "${SCRIPT} ${IMG}"\nseed: 1\n`;

const skip = await browserUnavailable();

async function hostileRun(root: string, id: string, seed: number): Promise<void> {
  const run = new FixtureRun(
    root,
    id,
    { name: SCRIPT, started: new Date(Date.UTC(2026, 0, 1, seed)).toISOString() },
    CONFIG.replace("seed: 1", `seed: ${seed}`),
  );
  await writeSyntheticRun(run, {
    classes: [IMG, SCRIPT, "plain"],
    groups: [IMG, "head"],
    stages: [
      { name: IMG, epochs: 2, steps: 3, lrFind: true },
      { name: "fine-tune", epochs: 1, steps: 3 },
    ],
  });
}

/** What the page would show if a label had become markup: dialogs opened, elements made. */
async function smuggled(page: Page, dialogs: string[]): Promise<unknown> {
  // A string, not a function: the tests' tsconfig has no DOM types, and this runs in the page.
  const elements = JSON.parse(
    await page.evaluate<string>(`JSON.stringify({
      images: document.querySelectorAll('img[src="x"]').length,
      handlers: document.querySelectorAll("[onerror]").length,
      scripts: [...document.scripts].filter((s) => s.textContent.trim() === "alert(1)").length,
    })`),
  ) as Record<string, number>;
  return { dialogs, ...elements };
}

describe.skipIf(skip !== null)("dashboard with hostile names, in chromium", () => {
  let scratch: string;
  let dashboard: RunningDashboard;
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];
  const ids = ["20260101-000001-evil-0001", "20260101-000002-evil-0002"];

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), "tessera-xss-"));
    const root = join(scratch, "runs");
    for (const [i, id] of ids.entries()) await hostileRun(root, id, i + 1);
    mkdirSync(join(scratch, "configs"));
    writeFileSync(join(scratch, "configs", "evil.yaml"), CONFIG);
    dashboard = await startDashboard({
      runsDir: root,
      configsDir: join(scratch, "configs"),
      port: 0,
      log: () => undefined,
    });
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("runs list, run page, compare and configs show the names as text and run nothing", async () => {
    const pages: [string, string][] = [
      ["/", `tr[data-run="${ids[0]}"]`],
      [`/runs/${ids[0]}`, '[data-testid="confusion"]'],
      [`/compare?ids=${ids.join(",")}`, '[data-testid="config-diff"]'],
      ["/configs", "body"],
    ];
    for (const [path, ready] of pages) {
      await page.goto(dashboard.url + path);
      await page.locator(ready).first().waitFor({ timeout: 60_000 });
      await page.waitForLoadState("networkidle");
      expect(await smuggled(page, dialogs), path).toEqual({ dialogs: [], images: 0, handlers: 0, scripts: 0 });
    }
    // The labels are there, as text: on the run page (class and stage names) and in the list (run name).
    await page.goto(`${dashboard.url}/runs/${ids[0]}`);
    await page.locator('[data-testid="confusion"]').waitFor({ timeout: 60_000 });
    expect(await page.evaluate<string>("document.body.innerText")).toContain(IMG);
    await page.goto(dashboard.url);
    await page.locator(`tr[data-run="${ids[0]}"]`).waitFor({ timeout: 60_000 });
    expect(await page.evaluate<string>("document.body.innerText")).toContain(SCRIPT);
    expect(dialogs).toEqual([]);
  });
});

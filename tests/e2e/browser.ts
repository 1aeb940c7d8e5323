/**
 * Launching Debian's chromium through playwright-core (`npx playwright install` cannot download
 * browsers here). When chromium is missing, browser tests skip with one line saying what to
 * install, and fail under TESSERA_REQUIRE_COMPONENTS=1 (see helpers/components).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { chromiumPath, missingComponent } from "../helpers/components";
import { REPO_ROOT } from "../helpers/paths";

export const SCREENSHOTS = join(REPO_ROOT, "tests", "e2e", "__screenshots__");

/** Why browser tests cannot run here, or null when they can. */
export function browserUnavailable(): Promise<string | null> {
  return missingComponent("chromium");
}

export async function launch(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error("chromium not found (see helpers/components)");
  return chromium.launch({
    executablePath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

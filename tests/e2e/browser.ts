/**
 * Launching Debian's chromium through playwright-core (`npx playwright install` cannot download
 * browsers here). When chromium is missing, browser tests skip with a message outside CI and fail in CI.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { IN_CI, REPO_ROOT } from "../helpers/paths";

export const CHROMIUM = process.env.TESSERA_CHROMIUM ?? "/usr/bin/chromium";
export const SCREENSHOTS = join(REPO_ROOT, "tests", "e2e", "__screenshots__");

/** Why browser tests cannot run here, or null when they can. Throws in CI instead of skipping. */
export function browserUnavailable(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const why = `browser tests need chromium at ${CHROMIUM} (apt-get install chromium; or set TESSERA_CHROMIUM)`;
  if (IN_CI) throw new Error(why);
  console.warn(`skipping: ${why}`);
  return why;
}

export async function launch(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

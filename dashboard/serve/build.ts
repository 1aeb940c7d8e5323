/**
 * Builds the dashboard once: `next build` into dashboard/.next when there is no build yet or a
 * source file is newer than it. Concurrent starters (tests, bench) share one build via a lock dir.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The dashboard package folder. */
export const DASHBOARD_DIR = resolve(fileURLToPath(new URL("..", import.meta.url)));
const REPO_DIR = resolve(DASHBOARD_DIR, "..");

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let max = s.mtimeMs;
  for (const name of readdirSync(path)) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    max = Math.max(max, newest(join(path, name)));
  }
  return max;
}

/** True when `.next` is missing or older than any source the app is built from. */
export function buildIsStale(): boolean {
  const buildId = join(DASHBOARD_DIR, ".next", "BUILD_ID");
  if (!existsSync(buildId)) return true;
  const built = statSync(buildId).mtimeMs;
  const sources = [
    join(DASHBOARD_DIR, "src"),
    join(DASHBOARD_DIR, "next.config.ts"),
    join(DASHBOARD_DIR, "package.json"),
    join(REPO_DIR, "shared", "src"),
  ];
  return sources.some((s) => newest(s) > built);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `next build` if needed; progress goes to stderr. Resolves when a fresh build exists. */
export async function ensureBuilt(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<void> {
  const lock = join(DASHBOARD_DIR, ".next-build.lock");
  for (;;) {
    if (!buildIsStale()) return;
    try {
      mkdirSync(lock);
      break;
    } catch {
      // another process is building; a lock older than 10 minutes is left over from a crash
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 600_000) rmSync(lock, { recursive: true, force: true });
      await sleep(1000);
    }
  }
  try {
    if (!buildIsStale()) return;
    log("tessera dashboard: building the dashboard (next build, once)…");
    const next = join(DASHBOARD_DIR, "node_modules", ".bin", "next");
    await new Promise<void>((ok, fail) => {
      const child = spawn(next, ["build"], {
        cwd: DASHBOARD_DIR,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production" },
      });
      let output = "";
      child.stdout.on("data", (d) => (output += d));
      child.stderr.on("data", (d) => (output += d));
      child.on("error", fail);
      child.on("exit", (code) =>
        code === 0 ? ok() : fail(new Error(`next build failed (exit ${code}):\n${output.slice(-4000)}`)),
      );
    });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * `tessera dashboard`: serve the live dashboard over the run store until Ctrl-C. The server
 * itself lives in dashboard/serve (beside the Next app it serves); this maps flags to options.
 * `tessera run --open` calls `startDashboard` (in-process) or `spawnDashboard` (a child process,
 * so training does not stall the web server's event loop) and then `openBrowser`.
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "../../errors";
import {
  DashboardOptionsError,
  startDashboard,
  type DashboardOptions,
  type RunningDashboard,
} from "@tessera/dashboard/serve";

export { startDashboard, type DashboardOptions, type RunningDashboard };

export interface DashboardFlags {
  runsDir?: string;
  port?: string;
  host?: string;
  token?: string;
  configsDir?: string;
  sweepsDir?: string;
  /** The BullMQ queue behind the Launch and Queue pages. */
  queue?: string;
  indexFile?: string;
}

/** Flags (strings from commander) to options; a bad value is a usage error (exit 2). */
export function dashboardOptions(flags: DashboardFlags): DashboardOptions {
  const port = flags.port === undefined ? 3000 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`tessera dashboard: --port ${JSON.stringify(flags.port)} is not a port number (0-65535)`);
  return {
    runsDir: flags.runsDir,
    configsDir: flags.configsDir,
    ...(flags.sweepsDir ? { sweepsDir: flags.sweepsDir } : {}),
    ...(flags.indexFile ? { indexFile: flags.indexFile } : {}),
    port,
    host: flags.host,
    token: flags.token,
  };
}

export async function dashboardCommand(flags: DashboardFlags): Promise<void> {
  const options = dashboardOptions(flags);
  // Connected before the server starts, so a bad --queue URL or an unreachable Redis stops the
  // command with that message instead of serving pages that cannot launch anything.
  const launcher = flags.queue
    ? await (await import("../../queue/launcher")).createLauncher(flags.queue, resolve(flags.configsDir ?? "configs"))
    : undefined;
  let running: RunningDashboard;
  try {
    running = await startDashboard({ ...options, ...(launcher ? { launcher } : {}) });
  } catch (error) {
    await launcher?.close();
    if (error instanceof DashboardOptionsError) throw new UsageError(error.message);
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE")
      throw new UsageError(`tessera dashboard: port ${flags.port} is in use; pick another with --port`);
    throw error;
  }
  await new Promise<void>((done) => {
    const stop = () =>
      void running
        .close()
        .then(() => launcher?.close())
        .then(done, done);
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

/**
 * Starts `tessera dashboard` as a child process and resolves with its URL once it listens. The
 * child lives until `stop()` or until this process exits.
 */
export function spawnDashboard(flags: DashboardFlags): Promise<{ url: string; stop(): void }> {
  const bin = fileURLToPath(new URL("../bin.ts", import.meta.url));
  // tsx resolved from here, not from the caller's working directory
  const args = ["--import", import.meta.resolve("tsx"), bin, "dashboard"];
  for (const [flag, value] of Object.entries({
    "--runs-dir": flags.runsDir,
    "--port": flags.port,
    "--host": flags.host,
    "--configs-dir": flags.configsDir,
    "--sweeps-dir": flags.sweepsDir,
    "--queue": flags.queue,
    "--index-file": flags.indexFile,
  })) {
    if (value !== undefined) args.push(flag, value);
  }
  const env = { ...process.env, ...(flags.token ? { TESSERA_TOKEN: flags.token } : {}) };
  const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"], env });
  const stop = () => void child.kill("SIGTERM");
  process.once("exit", stop);
  return new Promise((resolve, reject) => {
    let err = "";
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
      const url = /serving .* at (http:\/\/\S+?)(\/\?token=…)?$/m.exec(err)?.[1];
      if (url) resolve({ url, stop });
    });
    child.on("exit", (code) => reject(new Error(`tessera dashboard exited (${code}): ${err.trim().slice(-2000)}`)));
  });
}

/** Opens `url` in the desktop browser when there is one; silently does nothing otherwise. */
export function openBrowser(url: string): void {
  const cmd = process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
  try {
    spawn(cmd, [url], { stdio: "ignore", detached: true })
      .on("error", () => undefined)
      .unref();
  } catch {
    // headless machine: the URL was printed already
  }
}

/**
 * Starting the dashboard: build once if needed, then serve the production Next app from a small
 * Node HTTP server that checks the token on every request (assets, pages, API, SSE alike).
 * `tessera dashboard` and `tessera run --open` both come here.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import type NextFactory from "next";
import { tokensFileFor, workerForToken } from "@tessera/shared/tokens";
import { setLauncher, type Launcher } from "../src/server/cluster/launcher";
import { isLoopback } from "./auth";
import { requestListener } from "./listener";
import { DASHBOARD_DIR, ensureBuilt } from "./build";
import { currentRunIndex } from "../src/server/index-db/current";

export { RunIndex, indexFileFor, rebuildRunIndex, type RunIndexOptions } from "../src/server/index-db";

export interface DashboardOptions {
  /** @default env TESSERA_RUNS_DIR, else ./runs */
  runsDir?: string;
  /** @default env TESSERA_CONFIGS_DIR, else ./configs */
  configsDir?: string;
  /** @default env TESSERA_SWEEPS_DIR, else ./sweeps */
  sweepsDir?: string;
  /** The SQLite run index. @default env TESSERA_INDEX_FILE, else `<runsDir>/../.tessera/<runs folder name>.index.sqlite` */
  indexFile?: string;
  /** 0 picks a free port. @default 3000 */
  port?: number;
  /** @default 127.0.0.1 */
  host?: string;
  /** Required for a non-loopback host. @default env TESSERA_TOKEN */
  token?: string;
  /**
   * The per-worker token file ingest accepts tokens from (`tessera token add`); re-read when it
   * changes, so a revoke needs no restart. @default env TESSERA_TOKENS_FILE, else beside the runs dir
   */
  tokensFile?: string;
  /** Progress lines (build, listening). @default stderr */
  log?: (line: string) => void;
  /**
   * The queue behind the Launch and Queue pages (`tessera dashboard --queue URL` passes the
   * runner's BullMQ launcher). Without one those pages say the server has no queue. The caller
   * owns it: `close()` uninstalls it but does not close its Redis connections.
   */
  launcher?: Launcher;
}

export interface RunningDashboard {
  /** e.g. `http://127.0.0.1:3000` (no token in it). */
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** Thrown for options that must not start a server (e.g. a public host without a token). */
export class DashboardOptionsError extends Error {}

/** Builds if needed and serves the dashboard; resolves once it is listening. */
export async function startDashboard(opts: DashboardOptions = {}): Promise<RunningDashboard> {
  const host = opts.host ?? "127.0.0.1";
  const token = opts.token ?? process.env.TESSERA_TOKEN ?? null;
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  if (!isLoopback(host) && !token) {
    throw new DashboardOptionsError(
      `tessera dashboard: --host ${host} is reachable from other machines; give --token <secret> (or env TESSERA_TOKEN) to serve it`,
    );
  }
  if (token !== null && token.length < 8)
    throw new DashboardOptionsError("tessera dashboard: --token must be at least 8 characters");
  const port = opts.port ?? 3000;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new DashboardOptionsError(`tessera dashboard: --port ${port} is not a port number`);

  // The Next app runs in this process and reads these on every request.
  process.env.TESSERA_RUNS_DIR = resolve(opts.runsDir ?? process.env.TESSERA_RUNS_DIR ?? "runs");
  process.env.TESSERA_CONFIGS_DIR = resolve(opts.configsDir ?? process.env.TESSERA_CONFIGS_DIR ?? "configs");
  process.env.TESSERA_SWEEPS_DIR = resolve(opts.sweepsDir ?? process.env.TESSERA_SWEEPS_DIR ?? "sweeps");
  if (opts.indexFile) process.env.TESSERA_INDEX_FILE = resolve(opts.indexFile);
  process.env.TESSERA_REPO_ROOT ??= resolve(DASHBOARD_DIR, "..");
  process.env.NEXT_TELEMETRY_DISABLED = "1";

  // Open (and, if it is missing or unreadable, rebuild) the run index before serving: the first
  // Runs list then answers from it. The Next app's handlers find this same index on globalThis.
  const t0 = performance.now();
  const index = currentRunIndex();
  if (index) log(`tessera dashboard: run index ${index.file} ready in ${Math.round(performance.now() - t0)} ms`);
  await ensureBuilt(log);
  // Installed before Next handles its first request; the queue router reads it per request.
  if (opts.launcher) setLauncher(opts.launcher);
  const nextModule = (await import("next")) as unknown as { default: unknown };
  const createNext = ((nextModule.default as { default?: unknown }).default ??
    nextModule.default) as typeof NextFactory;
  const app = createNext({ dev: false, dir: DASHBOARD_DIR, hostname: host, port: port || 3000 });
  await app.prepare();
  const handle = app.getRequestHandler();
  const tokensFile = resolve(opts.tokensFile ?? tokensFileFor(process.env.TESSERA_RUNS_DIR));
  const workers = (given: string) => workerForToken(tokensFile, given);
  const server = createServer(requestListener(token, handle, log, workers));
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => ok());
  });
  const actual = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${actual}`;
  // Render the Runs page once before saying we are ready: it loads Next's route modules and reads
  // every run into the list cache, so the first real page view does not pay for either.
  await fetch(`${url}/`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(30_000),
  }).catch(() => undefined);
  log(`tessera dashboard: serving ${process.env.TESSERA_RUNS_DIR} at ${url}${token ? "/?token=…" : ""}`);
  return {
    url,
    port: actual,
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await app.close();
      if (opts.launcher) setLauncher(undefined);
    },
  };
}

/** The queue interface the runner implements for the Launch and Queue pages (runner/src/queue/launcher.ts). */
export type { Launcher, LaunchPlan, LaunchRequest, QueueJob } from "../src/server/cluster/launcher";

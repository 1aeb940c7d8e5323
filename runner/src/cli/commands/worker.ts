/**
 * `tessera worker --queue URL [--server URL --token T] [--concurrency n] [--backend b] [--name n]
 * [--data-root dir] [--runs dir]`: take run jobs until Ctrl-C / SIGTERM, which stop the running
 * runs after their batch (resume point kept) and hand their jobs back.
 */
import type { BackendName } from "@tessera/shared";
import { UsageError } from "../../errors";
import { remoteSync } from "../../queue/remote-sync";
import { startWorker } from "../../queue/worker";

export interface WorkerCommandOptions {
  queue: string;
  server?: string;
  token?: string;
  concurrency?: number;
  backend?: BackendName;
  name?: string;
  dataRoot?: string;
  runs?: string;
  stateDir?: string;
  threads?: number;
  /** Hidden, for tests: a dead worker's job is retried after about this long. */
  lockMs?: number;
}

export async function workerCommand(opts: WorkerCommandOptions): Promise<void> {
  if (opts.token && !opts.server) throw new UsageError("tessera worker: --token needs --server");
  const token = opts.token ?? process.env.TESSERA_TOKEN;
  if (opts.server && !token)
    throw new UsageError(
      "tessera worker --server: give --token <token> (tessera token add <name> on the server), or env TESSERA_TOKEN",
    );
  if (opts.server && !/^https?:\/\/[^/]/.test(opts.server))
    throw new UsageError(`tessera worker: --server ${opts.server}: expected http://host:port or https://host`);
  const running = await startWorker({
    queueUrl: opts.queue,
    ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    ...(opts.backend ? { backend: opts.backend } : {}),
    ...(opts.name ? { name: opts.name } : {}),
    ...(opts.dataRoot ? { dataRoot: opts.dataRoot } : {}),
    ...(opts.runs ? { runsDir: opts.runs } : {}),
    ...(opts.stateDir ? { stateDir: opts.stateDir } : {}),
    ...(opts.threads ? { threads: opts.threads } : {}),
    ...(opts.lockMs
      ? { lockDurationMs: opts.lockMs, stalledIntervalMs: Math.max(500, Math.floor(opts.lockMs / 2)) }
      : {}),
    sync: opts.server && token ? remoteSync({ server: opts.server, token }) : null,
  });
  await new Promise<void>((done) => {
    const stop = (signal: NodeJS.Signals) => {
      process.stderr.write(`tessera worker ${running.name}: ${signal}; stopping runs after their batch\n`);
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      void running.close().then(done);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

/** `tessera serve <run|export-dir>`: an HTTP predict server over a run's model or an export folder. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ExitError } from "../../errors";
import { resolveRunRef, runsDirFrom } from "../../runs";
import { HttpError, openEngine, startServer, type EngineName } from "../../serve";

export interface ServeCommandOptions {
  runsDir?: string;
  host: string;
  port: string;
  token?: string;
  engine: EngineName;
  maxBatch: string;
  maxWait: string;
  maxQueue: string;
  maxImageMb: string;
  allowRoot?: string;
  threads?: string;
}

function number(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new ExitError(`${flag} ${value}: expected a number >= ${min}`);
  return n;
}

/** Opens the model, listens, and prints the address; runs until interrupted. */
export async function serveCommand(ref: string, opts: ServeCommandOptions): Promise<void> {
  // An export folder is served as it is; anything else is a run reference.
  const path = existsSync(join(ref, "tessera-model.json")) ? ref : resolveRunRef(ref, runsDirFrom(opts.runsDir));
  const engine = await openEngine(path, opts.engine, opts.threads ? number("--threads", opts.threads, 1) : undefined);
  try {
    const { url } = await startServer(engine, {
      host: opts.host,
      port: number("--port", opts.port, 0),
      token: opts.token ?? process.env.TESSERA_TOKEN ?? null,
      maxBatch: number("--max-batch", opts.maxBatch, 1),
      maxWaitMs: number("--max-wait", opts.maxWait, 0),
      maxQueue: number("--max-queue", opts.maxQueue, 1),
      maxImageBytes: number("--max-image-mb", opts.maxImageMb, 0.001) * 1024 * 1024,
      allowRoot: opts.allowRoot ?? null,
    });
    process.stderr.write(`serving ${path} with ${engine.name} at ${url} (POST /predict, GET /model, GET /health)\n`);
  } catch (error) {
    if (error instanceof HttpError) throw new ExitError(error.message);
    throw error;
  }
  await new Promise<never>(() => {}); // until SIGINT
}

/**
 * `downloadRun`: a retried job's worker fetches the run folder as the server has it (events,
 * meta, config, the resume checkpoint...) so `tessera run --resume` continues it: same seq, from
 * the server's last checkpoint. Claims the run first (the server only serves its holder), checks
 * every file against the sha256 the server listed, and publishes the folder in one swap, so a
 * failed download leaves whatever was there before rather than a mix.
 */
import { createHash } from "node:crypto";
import { createWriteStream, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import type { StoredFile } from "@tessera/shared/ingest";
import { replaceDirAtomic } from "../runs/atomic";
import { claim, getFile, type CallResult, type ServerAddress } from "./client";
import { saveState } from "./state";

export interface DownloadOptions extends ServerAddress {
  runId: string;
  /** The local run folder to (re)create, e.g. `<worker runs>/<runId>`. */
  toDir: string;
  job?: { jobId: string | null; attempt: number };
  /** When given, records what the server has so the RemoteSync that follows sends only what is new. */
  stateDir?: string;
}

/** What was fetched: the server's last seq and its files (empty for a run it has nothing of). */
export interface Downloaded {
  lastSeq: number;
  files: StoredFile[];
}

/** Fetches run `runId` from the server into `toDir`. Results, not throws, for server answers. */
export async function downloadRun(opts: DownloadOptions): Promise<CallResult<Downloaded>> {
  const job = opts.job ?? { jobId: null, attempt: 1 };
  const claimed = await claim(opts, { runId: opts.runId, jobId: job.jobId, attempt: job.attempt, worker: opts.worker });
  if (!claimed.ok) return claimed;
  const { lastSeq, files } = claimed.value;
  if (files.length === 0) return { ok: true, value: { lastSeq, files } };
  let failure: Exclude<CallResult<unknown>, { ok: true }> | null = null;
  try {
    await replaceDirAtomic(opts.toDir, async (staging) => {
      for (const f of files) {
        const r = await getFile(opts, opts.runId, f.path);
        if (!r.ok) {
          failure = r;
          throw new Error(r.message);
        }
        const target = join(staging, f.path);
        mkdirSync(dirname(target), { recursive: true });
        const hash = createHash("sha256");
        const meter = new Transform({
          transform(chunk: Buffer, _e, done) {
            hash.update(chunk);
            done(null, chunk);
          },
        });
        await pipeline(Readable.fromWeb(r.value.body as NodeReadableStream), meter, createWriteStream(target));
        const sha256 = hash.digest("hex");
        // The file may have changed on the server since the claim listed it; what counts is that
        // we got the bytes the server sent for it whole.
        if (r.value.sha256 !== null && sha256 !== r.value.sha256) {
          failure = { ok: false, kind: "unreachable", message: `${f.path}: download cut short (sha256 differs)` };
          throw new Error(failure.message);
        }
      }
    });
  } catch (error) {
    return failure ?? { ok: false, kind: "unreachable", message: (error as Error).message };
  }
  if (opts.stateDir)
    saveState(opts.stateDir, {
      format: 1,
      runId: opts.runId,
      ackedSeq: lastSeq,
      files: Object.fromEntries(files.filter((f) => f.path !== "events.jsonl").map((f) => [f.path, f.sha256])),
    });
  return { ok: true, value: { lastSeq, files } };
}

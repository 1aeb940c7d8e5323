/**
 * The one resumable, checksummed HTTP download (data sets and pretrained weights): bytes go to
 * `<dest>.part`; a dropped or stalled connection is retried (`retries` times, resuming), and a
 * later call after a failure asks for the rest with an HTTP Range request (starting over when the
 * server ignores it); the finished file is checked against its sha256 before it is renamed into
 * place. A connection that delivers nothing for `stallMs` counts as dropped.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { DataError } from "../../errors";

export interface DownloadOptions {
  url: string;
  dest: string;
  /** Expected sha256 (hex); `null` to skip the check (the hash is still reported). */
  sha256: string | null;
  /** Bytes so far and the total when the server says it. */
  onProgress?: (done: number, total: number | null) => void;
  signal?: AbortSignal;
  /** Tries after the first when the connection drops or stalls (each resumes). @default 2 */
  retries?: number;
  /** No byte for this long counts as a dropped connection. @default 30_000 */
  stallMs?: number;
  /** The error a failure becomes (default DataError; weights use WeightsUnreachableError). */
  errorOf?: (message: string) => Error;
}

export interface DownloadResult {
  file: string;
  bytes: number;
  sha256: string;
  /** Bytes that were already on disk from an earlier, interrupted call. */
  resumedFrom: number;
  /** Whether an expected sha256 was given and matched (false: none was given). */
  verified: boolean;
}

/** Splits a pip-style `#sha256=<hex>` fragment off a URL. */
export function parseChecksumUrl(url: string): { url: string; sha256: string | null } {
  const m = /#sha256=([0-9a-fA-F]{64})$/.exec(url);
  return m ? { url: url.slice(0, m.index), sha256: m[1]!.toLowerCase() } : { url, sha256: null };
}

/** sha256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}

/** Downloads `url` to `dest`, resuming a `<dest>.part` left by an earlier try, retrying drops and stalls. */
export async function download(opts: DownloadOptions): Promise<DownloadResult> {
  const retries = opts.retries ?? 2;
  for (let attempt = 0; ; attempt++) {
    try {
      return await downloadOnce(opts);
    } catch (error) {
      if (!(error instanceof DownloadDropped) && !(error instanceof DataError)) throw error; // a bug, not the network
      const retryable = error instanceof DownloadDropped && !opts.signal?.aborted;
      if (!retryable || attempt >= retries) throw (opts.errorOf ?? toDataError)((error as Error).message);
      await new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** attempt, 5_000)));
    }
  }
}

const toDataError = (message: string): Error => new DataError(message);

/** A connection that failed, dropped or stalled: worth another (resuming) try. */
class DownloadDropped extends Error {}

async function downloadOnce(opts: DownloadOptions): Promise<DownloadResult> {
  const part = `${opts.dest}.part`;
  await mkdir(dirname(opts.dest), { recursive: true });
  const have = (await stat(part).catch(() => null))?.size ?? 0;
  const stall = stallGuard(opts.stallMs ?? 30_000, opts.signal);
  let response: Response;
  try {
    response = await fetch(opts.url, {
      headers: have > 0 ? { Range: `bytes=${have}-` } : {},
      signal: stall.signal,
      redirect: "follow",
    });
  } catch (error) {
    stall.stop();
    throw new DownloadDropped(
      `${opts.url}: download failed (${stall.reason() ?? (error as Error).cause ?? (error as Error).message})`,
    );
  }
  try {
    return await receive(opts, response, part, have, stall.poke);
  } finally {
    stall.stop();
  }
}

/** An abort signal that fires when `poke` has not been called for `ms` (or when `outer` aborts). */
function stallGuard(ms: number, outer?: AbortSignal) {
  const controller = new AbortController();
  let stalled = false;
  const fire = () => {
    stalled = true;
    controller.abort(new Error(`no data for ${ms / 1000} s`));
  };
  let timer = setTimeout(fire, ms);
  const onOuter = () => controller.abort(outer?.reason);
  outer?.addEventListener("abort", onOuter);
  return {
    signal: controller.signal,
    poke: () => {
      clearTimeout(timer);
      timer = setTimeout(fire, ms);
    },
    reason: () => (stalled ? `stalled: no data for ${ms / 1000} s` : null),
    stop: () => {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onOuter);
    },
  };
}

async function receive(
  opts: DownloadOptions,
  response: Response,
  part: string,
  have: number,
  poke: () => void,
): Promise<DownloadResult> {
  const progress = (done: number, total: number | null) => {
    poke();
    opts.onProgress?.(done, total);
  };
  let resumedFrom = 0;
  if (response.status === 416 && have > 0) {
    // The part file is already whole (or longer than the file): let the checksum decide.
    await response.body?.cancel();
    resumedFrom = have;
  } else if (response.status === 206 && have > 0) {
    resumedFrom = have;
    await save(response, part, "a", have, progress).catch(interrupted(opts.url, part));
  } else if (response.ok) {
    await save(response, part, "w", 0, progress).catch(interrupted(opts.url, part));
  } else {
    await response.body?.cancel();
    throw new DataError(`${opts.url}: download failed with HTTP ${response.status} ${response.statusText}`);
  }
  const digest = await sha256File(part);
  if (opts.sha256 && digest !== opts.sha256.toLowerCase()) {
    await rm(part, { force: true });
    throw new DataError(
      `${opts.url}: checksum mismatch, expected sha256 ${opts.sha256} but got ${digest}; the partial file was removed, run the command again`,
    );
  }
  await rename(part, opts.dest);
  return { file: opts.dest, bytes: (await stat(opts.dest)).size, sha256: digest, resumedFrom, verified: !!opts.sha256 };
}

/** A dropped connection: keep the part file and say how to go on. */
const interrupted = (url: string, part: string) => async (error: Error) => {
  const have = (await stat(part).catch(() => null))?.size ?? 0;
  const cause = (error.cause as Error | undefined)?.message ?? error.message;
  throw new DownloadDropped(
    `${url}: download interrupted after ${have} bytes (${cause}); run the same command again to resume`,
  );
};

/**
 * Appends the body to `part` chunk by chunk, each write awaited, so whatever arrived before a
 * dropped connection is on disk for the next try to resume from.
 */
async function save(
  response: Response,
  part: string,
  flags: "a" | "w",
  start: number,
  onProgress?: (done: number, total: number | null) => void,
): Promise<void> {
  const length = Number(response.headers.get("content-length"));
  const total = Number.isFinite(length) && length > 0 ? start + length : null;
  let done = start;
  onProgress?.(done, total);
  const file = await open(part, flags);
  try {
    for await (const chunk of Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>)) {
      await file.write(chunk as Buffer);
      done += (chunk as Buffer).length;
      onProgress?.(done, total);
    }
  } finally {
    await file.close();
  }
}
